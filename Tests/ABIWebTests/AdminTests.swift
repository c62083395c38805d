import ABIDevices
import ABIReports
import ABIStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
import NIOCore
import Testing
@testable import ABIWeb

/// The admin's pages: users, devices and their bindings, the site settings.
@Suite struct AdminTests {
    @Test("Admin: the home is the admin page; add a user (problems beside the fields, a taken name refused), unlock a locked account, bind and unbind a serial number; each audited")
    func admin() async throws {
        let store = try WebAppTests.store()
        try store.addUser("root", role: .admin, passwordHash: Bcrypt.hash("an admin password", cost: 4), actor: "test")
        try store.noteSignIn("kowalska", succeeded: false, lockAfter: 1, lockedUntil: "2999-01-01T00:00:00Z", from: "web")
        let bindingsPath = FileManager.default.temporaryDirectory.appendingPathComponent("abi-bindings-\(UUID().uuidString).json").path
        var settings = WebAppTests.fast
        settings.site.clinic = "Vascular Lab <North>"
        let web = WebApp(store: store, settings: settings, captures: LiveCaptures(devices: DeviceWatch(named: [("/dev/null", "nonin-2")], bindingsPath: bindingsPath)))
        let app = Application(router: web.router())
        try await app.test(.router) { client in
            let session = try await WebAppTests.signIn(client, "root", "an admin password")
            let home = try await client.execute(uri: "/", method: .get, headers: [.cookie: session.cookie])
            #expect(home.headers[.location] == "/admin")
            let page = try await EntryTests.get(client, "/admin", session)
            #expect(page.0 == .ok && page.1.contains("kowalska") && page.1.contains("action=\"/admin/users/unlock\""))
            #expect(page.1.contains("/dev/null") && page.1.contains("nonin-2") && page.1.contains("Vascular Lab &lt;North&gt;"))

            let bad = try await EntryTests.send(client, "/admin/users", session, ["name": "bad name!", "role": "physician", "password": "short", "again": "short"])
            #expect(bad.status == .unprocessableContent)
            let html = String(buffer: bad.body)
            #expect(html.contains("id=\"name-error\"") && html.contains("id=\"password-error\"") && html.contains("value=\"bad name!\""))
            let added = try await EntryTests.send(client, "/admin/users", session, ["name": "dr.ng", "role": "physician", "password": "long enough pw", "again": "long enough pw"])
            #expect(added.status == .seeOther)
            #expect(try store.user("dr.ng")?.role == .physician)
            let taken = try await EntryTests.send(client, "/admin/users", session, ["name": "dr.ng", "role": "admin", "password": "long enough pw", "again": "long enough pw"])
            #expect(taken.status == .unprocessableContent && String(buffer: taken.body).contains("This name is taken."))

            let unlocked = try await EntryTests.send(client, "/admin/users/unlock", session, ["name": "kowalska"])
            #expect(unlocked.status == .seeOther)
            #expect(try store.user("kowalska")?.lockedUntil == nil)

            let bound = try await EntryTests.send(client, "/admin/devices/bind", session, ["serial": "FT1234", "profile": "suntech-advantage"])
            #expect(bound.status == .seeOther)
            #expect(try Bindings.load(from: bindingsPath).profiles == ["FT1234": "suntech-advantage"])
            let unknownProfile = try await EntryTests.send(client, "/admin/devices/bind", session, ["serial": "FT1234", "profile": "/etc/passwd"])
            #expect(unknownProfile.status == .unprocessableContent)
            let unbound = try await EntryTests.send(client, "/admin/devices/unbind", session, ["serial": "FT1234"])
            #expect(unbound.status == .seeOther)
            #expect(try Bindings.load(from: bindingsPath).profiles.isEmpty)
        }
        let audit = try store.auditTrail().filter { $0.actor == "root" }.map(\.action)
        #expect(audit.contains("user-added") && audit.contains("user-unlocked") && audit.contains("device-bound") && audit.contains("device-unbound"))
    }

    @Test("abi serves its own icon, an SVG that librsvg draws, to anyone (the sign-in page shows it too)")
    func icon() async throws {
        let (_, app) = WebAppTests.app(try WebAppTests.store())
        try await app.test(.router) { client in
            let icon = try await client.execute(uri: "/assets/abi.svg", method: .get)
            #expect(icon.status == .ok && icon.headers[.contentType] == "image/svg+xml")
            // Read as a site's logo is: librsvg must draw it.
            let bytes = Array(String(buffer: icon.body).utf8)
            let site = try SiteConfiguration.decode(Array(#"{"format": "abi-site/1", "clinic": {"name": "x", "logo": "abi.svg"}}"#.utf8)) { _ in bytes }
            #expect(site.logo?.mediaType == "image/svg+xml")
            let signIn = String(buffer: try await client.execute(uri: "/signin", method: .get).body)
            #expect(signIn.contains("<link rel=\"icon\" href=\"/assets/abi.svg\""))
        }
    }
}
