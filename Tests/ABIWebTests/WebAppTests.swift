import ABICore
import ABIStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
import NIOCore
import Testing
@testable import ABIWeb

/// The web app's routes through Hummingbird's router test client, over a real store.
@Suite struct WebAppTests {
    /// A new store with a physician (password "correct horse battery") and a patient whose name
    /// is a script tag, with a preliminary exam.
    static func store() throws -> Store {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("abi-web-\(UUID().uuidString)")
        let store = try Store(path: dir.appendingPathComponent("abi.sqlite").path)
        try store.addUser("kowalska", role: .physician, passwordHash: Bcrypt.hash("correct horse battery", cost: 4), actor: "test")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var exam = try ExamFile.decode(Array(Data(contentsOf: root.appendingPathComponent("samples/pad.exam.json"))))
        exam.patient.name = "<script>alert(1)</script>"
        _ = try store.importExam(exam, actor: "test")
        return store
    }

    static func app(_ store: Store, settings: WebApp.Settings = fast) -> (WebApp, Application<RouterResponder<WebApp.Context>>) {
        let web = WebApp(store: store, settings: settings)
        return (web, Application(router: web.router()))
    }

    static var fast: WebApp.Settings {
        var settings = WebApp.Settings()
        settings.failedSignInDelay = .zero
        settings.today = { "2000-01-01T00:00:00Z" }
        return settings
    }

    static func form(_ fields: [String: String]) -> ByteBuffer {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        return ByteBuffer(string: fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
    }

    static let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    /// Signs in and gives the session cookie and the CSRF token of the page.
    static func signIn(_ client: some TestClientProtocol, _ name: String = "kowalska", _ password: String = "correct horse battery") async throws -> (cookie: String, csrf: String) {
        let response = try await client.execute(uri: "/signin", method: .post, headers: formHeaders,
                                                body: form(["name": name, "password": password]))
        #expect(response.status == .seeOther || response.status == .found)
        let setCookie = try #require(response.headers[.setCookie])
        let cookie = String(setCookie.split(separator: ";")[0])
        // Every page of a signed-in user carries the token (in the sign-out form of its header).
        let page = try await client.execute(uri: "/patients/new", method: .get, headers: [.cookie: cookie])
        let html = String(buffer: page.body)
        let csrf = try #require(html.range(of: "name=\"csrf\" value=\"").map { String(html[$0.upperBound...].prefix(64)) })
        return (cookie, csrf)
    }

    @Test("Every route but sign-in and the assets needs a session: pages go to the sign-in form, changes are refused (the router's own list); and a role the route is not for is refused and audited")
    func everyRouteNeedsASession() async throws {
        let store = try WebAppTests.store()
        try store.addUser("nurse", role: .technologist, passwordHash: Bcrypt.hash("a nurse password", cost: 4), actor: "test")
        try store.addUser("root", role: .admin, passwordHash: Bcrypt.hash("an admin password", cost: 4), actor: "test")
        let (web, app) = WebAppTests.app(store)
        #expect(web.routes.filter(\.open).map(\.path).sorted() == ["/assets/abi.css", "/assets/abi.js", "/assets/abi.svg", "/signin", "/signin"])
        try await app.test(.router) { client in
            for route in web.routes where !route.open {
                let response = try await client.execute(uri: route.path, method: route.method, headers: WebAppTests.formHeaders, body: WebAppTests.form([:]))
                if route.method == .get {
                    #expect(response.status == .seeOther || response.status == .found, "\(route.method) \(route.path)")
                    #expect(response.headers[.location] == "/signin")
                } else {
                    #expect(response.status == .forbidden, "\(route.method) \(route.path)")
                }
                // A made-up cookie is no session either.
                let forged = try await client.execute(uri: route.path, method: route.method, headers: [.cookie: "\(WebApp.cookieName)=\(String(repeating: "ab", count: 32))"])
                #expect(forged.status != .ok, "\(route.method) \(route.path)")
            }
            // Each role, at every route it is not for: 403, whatever the path's parameters.
            let users: [Store.Role: (String, String)] = [.physician: ("kowalska", "correct horse battery"), .technologist: ("nurse", "a nurse password"),
                                                         .admin: ("root", "an admin password")]
            var refusals = 0
            for (role, user) in users {
                let (cookie, csrf) = try await WebAppTests.signIn(client, user.0, user.1)
                for route in web.routes where !route.roles.contains(role) {
                    let path = route.path.replacingOccurrences(of: ":id", with: "1").replacingOccurrences(of: ":format", with: "pdf")
                    let response = try await client.execute(uri: path, method: route.method, headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                                                            body: WebAppTests.form(["csrf": csrf, "password": user.1, "conclusion": "x", "reason": "x"]))
                    #expect(response.status == .forbidden, "\(role) \(route.method) \(path)")
                    refusals += 1
                }
            }
            #expect(refusals > 10)
            // And the admin's own visit to /patients/new, made by signIn to read the token.
            #expect(try store.auditTrail().filter { $0.action == "access-refused" }.count == refusals + 1)
        }
    }

    @Test("Sign-in: a good password gives an HttpOnly, SameSite=Strict cookie and the worklist; a bad one, or an unknown name, the same refusal; sign-out ends the session")
    func signInAndOut() async throws {
        let store = try WebAppTests.store()
        let (_, app) = WebAppTests.app(store)
        try await app.test(.router) { client in
            let page = try await client.execute(uri: "/signin", method: .get)
            #expect(page.status == .ok && String(buffer: page.body).contains("<form method=\"post\" action=\"/signin\""))
            for (name, password) in [("kowalska", "wrong password!"), ("nobody", "correct horse battery")] {
                let refused = try await client.execute(uri: "/signin", method: .post, headers: WebAppTests.formHeaders, body: WebAppTests.form(["name": name, "password": password]))
                #expect(refused.status == .unauthorized && refused.headers[.setCookie] == nil)
                #expect(String(buffer: refused.body).contains("The user name or password is wrong."))
            }
            let good = try await client.execute(uri: "/signin", method: .post, headers: WebAppTests.formHeaders,
                                                body: WebAppTests.form(["name": "kowalska", "password": "correct horse battery"]))
            let cookie = try #require(good.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "\(cookie)")
            let (session, csrf) = try await WebAppTests.signIn(client)
            let home = try await client.execute(uri: "/", method: .get, headers: [.cookie: session])
            let html = String(buffer: home.body)
            #expect(home.status == .ok && html.contains("Worklist") && html.contains("kowalska · physician"))
            // Sign-out needs the CSRF token; then the session is gone.
            let noToken = try await client.execute(uri: "/signout", method: .post, headers: [.cookie: session, .contentType: "application/x-www-form-urlencoded"], body: WebAppTests.form([:]))
            #expect(noToken.status == .forbidden)
            let wrongToken = try await client.execute(uri: "/signout", method: .post, headers: [.cookie: session, .contentType: "application/x-www-form-urlencoded"], body: WebAppTests.form(["csrf": String(repeating: "0", count: 64)]))
            #expect(wrongToken.status == .forbidden)
            let out = try await client.execute(uri: "/signout", method: .post, headers: [.cookie: session, .contentType: "application/x-www-form-urlencoded"], body: WebAppTests.form(["csrf": csrf]))
            #expect(out.headers[.location] == "/signin")
            let after = try await client.execute(uri: "/", method: .get, headers: [.cookie: session])
            #expect(after.headers[.location] == "/signin")
        }
        let actions = try store.auditTrail().map(\.action)
        #expect(actions.contains("signed-in") && actions.contains("sign-in-failed") && actions.contains("signed-out"))
    }

    @Test("Repeated failed sign-ins lock the account, even against the right password, until the lock ends")
    func lockout() async throws {
        let store = try WebAppTests.store()
        var settings = WebAppTests.fast
        settings.lockAfter = 3
        let (_, app) = WebAppTests.app(store, settings: settings)
        try await app.test(.router) { client in
            for attempt in 1...3 {
                let refused = try await client.execute(uri: "/signin", method: .post, headers: WebAppTests.formHeaders, body: WebAppTests.form(["name": "kowalska", "password": "guess number \(attempt)"]))
                #expect(refused.status == .unauthorized)
            }
            let locked = try await client.execute(uri: "/signin", method: .post, headers: WebAppTests.formHeaders,
                                                  body: WebAppTests.form(["name": "kowalska", "password": "correct horse battery"]))
            #expect(locked.status == .unauthorized && String(buffer: locked.body).contains("locked until"))
        }
        #expect(try store.user("kowalska")?.lockedUntil != nil)
    }

    @Test("Every answer carries the security headers; a patient named <script> is shown as text; a search finds by name and is audited")
    func headersAndEscaping() async throws {
        let store = try WebAppTests.store()
        let (_, app) = WebAppTests.app(store)
        try await app.test(.router) { client in
            let (session, csrf) = try await WebAppTests.signIn(client)
            for uri in ["/", "/signin", "/assets/abi.css"] {
                let response = try await client.execute(uri: uri, method: .get, headers: [.cookie: session])
                let csp = response.headers[.contentSecurityPolicy] ?? ""
                #expect(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "\(uri)")
                #expect(response.headers[.xContentTypeOptions] == "nosniff" && response.headers[WebApp.referrerPolicy] == "no-referrer", "\(uri)")
            }
            let home = String(buffer: try await client.execute(uri: "/", method: .get, headers: [.cookie: session]).body)
            #expect(home.contains("Waiting for sign-off") && home.contains("DEMO-0002"))
            #expect(home.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !home.contains("<script>"))
            #expect(!home.contains("style=") && !home.contains("<style"))
            // The search goes by POST: no patient's name or id in a URL.
            #expect(home.contains("<form method=\"post\" action=\"/search\""))
            let found = String(buffer: try await EntryTests.send(client, "/search", (session, csrf), ["q": "SCRIPT"]).body)
            #expect(found.contains("Patients matching") && found.contains(">DEMO-0002</a> · &lt;script&gt;"))
        }
        #expect(try store.auditTrail().contains { $0.action == "patients-searched" && $0.actor == "kowalska" })
    }

    @Test("The patient page: demographics, exam history, the ABI chart with the normal band and the R18 change ringed; viewing is audited; ids with any character are linked safely; an unknown id is 404")
    func patientPage() async throws {
        let store = try WebAppTests.store()
        // An earlier exam of the same patient with the ankles 40 mmHg higher: the later ABI fell beyond the MDC.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("samples/pad.exam.json"))) as! [String: Any]
        var details = json["exam"] as! [String: Any]
        details["performedAt"] = "2026-05-12T09:30:00Z"
        json["exam"] = details
        json["prior"] = nil
        json["readings"] = (json["readings"] as! [[String: Any]]).map { reading in
            var reading = reading
            if let site = reading["site"] as? String, site.hasSuffix("PosteriorTibial") || site.hasSuffix("DorsalisPedis"), let p = reading["systolic"] as? Int { reading["systolic"] = p + 40 }
            return reading
        }
        var earlier = try ExamFile.decode(Array(try JSONSerialization.data(withJSONObject: json)))
        earlier.patient.name = "<script>alert(1)</script>"
        _ = try store.importExam(earlier, actor: "test")
        var odd = earlier
        odd.patient = Patient(id: "MRN/7 x<y>", name: "Żółć, Łukasz")
        _ = try store.importExam(odd, actor: "test")
        let (_, app) = WebAppTests.app(store)
        try await app.test(.router) { client in
            let (session, csrf) = try await WebAppTests.signIn(client)
            let page = try await client.execute(uri: "/patients/DEMO-0002", method: .get, headers: [.cookie: session])
            let html = String(buffer: page.body)
            #expect(page.status == .ok)
            #expect(html.contains("<svg class=\"chart\"") && html.contains(">normal</text>") && html.contains("class=\"change\""), "\(html.prefix(3000))")
            #expect(html.contains("2026-05-12") && html.contains("2026-11-26") && html.contains("fell from"))
            #expect(html.contains("&lt;script&gt;") && !html.contains("<script>"))
            // The worklist links to the odd id encoded, and the link works.
            let search = String(buffer: try await EntryTests.send(client, "/search", (session, csrf), ["q": "MRN"]).body)
            #expect(search.contains("href=\"/patients/MRN%2F7%20x%3Cy%3E\""), "\(search)")
            let oddPage = try await client.execute(uri: "/patients/MRN%2F7%20x%3Cy%3E", method: .get, headers: [.cookie: session])
            #expect(oddPage.status == .ok && String(buffer: oddPage.body).contains("Żółć, Łukasz"), "\(oddPage.status)")
            let none = try await client.execute(uri: "/patients/NOBODY", method: .get, headers: [.cookie: session])
            #expect(none.status == .notFound)
        }
        #expect(try store.auditTrail(patient: "DEMO-0002").contains { $0.action == "patient-viewed" && $0.actor == "kowalska" })
    }

    @Test("The exam page: status, urgent flags in a banner, the body diagram, results, findings and rules; the report downloads in six formats, each audited; a discarded exam is not reported; unknown ids are 404")
    func examPage() async throws {
        let store = try WebAppTests.store()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        // An exam with an urgent flag (no signal at either ankle artery with rest pain).
        let absent = try store.importExam(try ExamFile.decode(Array(Data(contentsOf: root.appendingPathComponent("samples/absent-signals.exam.json")))), actor: "test")
        let (_, app) = WebAppTests.app(store)
        try await app.test(.router) { client in
            let (session, _) = try await WebAppTests.signIn(client)
            let page = try await client.execute(uri: "/exams/\(absent)", method: .get, headers: [.cookie: session])
            let html = String(buffer: page.body)
            #expect(page.status == .ok)
            #expect(html.contains("class=\"alert\" role=\"alert\"") && html.contains("PRELIMINARY, not signed"), "\(html.prefix(2000))")
            #expect(html.contains("<svg") && html.contains("Body diagram") && html.contains("Patient ABI") && html.contains("Clinical findings"))
            #expect(html.contains("Rules: acc-aha-2016 v2"))
            // The exam's audit trail, with this very view in it.
            #expect(html.contains("<h2>Audit trail</h2>") && html.contains("<td>kowalska</td><td>exam viewed</td>"), "\(html.suffix(1500))")
            for format in ["pdf", "html", "text", "csv", "fhir", "hl7"] {
                let download = try await client.execute(uri: "/exams/\(absent)/report/\(format)", method: .get, headers: [.cookie: session])
                #expect(download.status == .ok, "\(format)")
                #expect(download.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"") == true, "\(format)")
                let body = Array(download.body.readableBytesView)
                switch format {
                case "pdf": #expect(body.starts(with: Array("%PDF-".utf8)))
                case "fhir": #expect(String(decoding: body, as: UTF8.self).contains("\"resourceType\": \"Bundle\""))
                case "hl7": #expect(body.starts(with: Array("MSH|".utf8)))
                case "csv": #expect(body.starts(with: Array("patient_id,".utf8)))
                default: #expect(body.count > 500)
                }
            }
            #expect(try await client.execute(uri: "/exams/\(absent)/report/docx", method: .get, headers: [.cookie: session]).status == .notFound)
            #expect(try await client.execute(uri: "/exams/999999", method: .get, headers: [.cookie: session]).status == .notFound)
            #expect(try await client.execute(uri: "/exams/x", method: .get, headers: [.cookie: session]).status == .notFound)
            try store.discard(absent, reason: "wrong patient", actor: "test")
            let discarded = try await client.execute(uri: "/exams/\(absent)", method: .get, headers: [.cookie: session])
            #expect(String(buffer: discarded.body).contains("DISCARDED: wrong patient") && !String(buffer: discarded.body).contains("/report/pdf"))
            #expect(try await client.execute(uri: "/exams/\(absent)/report/pdf", method: .get, headers: [.cookie: session]).status == .gone)
        }
        let trail = try store.auditTrail(exam: absent)
        #expect(trail.contains { $0.action == "exam-viewed" && $0.actor == "kowalska" })
        #expect(trail.filter { $0.actor == "kowalska" && $0.detail?.hasSuffix("report (web)") == true }.count == 6, "\(trail)")
    }

    @Test("Sign-off: only a physician, with the password typed again and a conclusion; a wrong password keeps what was typed; the signed report shows the signature and never offers sign-off again")
    func signOff() async throws {
        let store = try WebAppTests.store()
        try store.addUser("nurse", role: .technologist, passwordHash: Bcrypt.hash("a nurse password", cost: 4), actor: "test")
        let id = try #require(try store.worklist(since: "2000-01-01T00:00:00Z").awaitingSignOff.first?.examId)
        let (_, app) = WebAppTests.app(store)
        try await app.test(.router) { client in
            // A technologist sees who may sign, and is refused.
            let nurseIn = try await client.execute(uri: "/signin", method: .post, headers: WebAppTests.formHeaders, body: WebAppTests.form(["name": "nurse", "password": "a nurse password"]))
            let nurse = String(try #require(nurseIn.headers[.setCookie]).split(separator: ";")[0])
            let nursePage = String(buffer: try await client.execute(uri: "/exams/\(id)", method: .get, headers: [.cookie: nurse]).body)
            #expect(nursePage.contains("A physician signs this exam off") && !nursePage.contains("action=\"/exams/\(id)/signoff\""))
            let nurseCsrf = try #require(nursePage.range(of: "name=\"csrf\" value=\"").map { String(nursePage[$0.upperBound...].prefix(64)) })
            let refused = try await client.execute(uri: "/exams/\(id)/signoff", method: .post, headers: [.cookie: nurse, .contentType: "application/x-www-form-urlencoded"],
                                                   body: WebAppTests.form(["csrf": nurseCsrf, "conclusion": "fine", "password": "a nurse password"]))
            #expect(refused.status == .forbidden)

            let (session, csrf) = try await WebAppTests.signIn(client)
            let page = String(buffer: try await client.execute(uri: "/exams/\(id)", method: .get, headers: [.cookie: session]).body)
            #expect(page.contains("action=\"/exams/\(id)/signoff\"") && page.contains("Right leg: moderate"), "\(page.suffix(2500))")
            let headers: HTTPFields = [.cookie: session, .contentType: "application/x-www-form-urlencoded"]
            let wrong = try await client.execute(uri: "/exams/\(id)/signoff", method: .post, headers: headers,
                                                 body: WebAppTests.form(["csrf": csrf, "conclusion": "My own words about <this> exam.", "password": "not it"]))
            #expect(wrong.status == .unprocessableContent)
            #expect(String(buffer: wrong.body).contains("My own words about &lt;this&gt; exam.") && String(buffer: wrong.body).contains("The password is wrong"))
            #expect(try store.exam(id).status == .preliminary)
            let signed = try await client.execute(uri: "/exams/\(id)/signoff", method: .post, headers: headers,
                                                  body: WebAppTests.form(["csrf": csrf, "conclusion": "Moderate PAD on the right.", "password": "correct horse battery"]))
            #expect(signed.headers[.location] == "/exams/\(id)")
            let after = String(buffer: try await client.execute(uri: "/exams/\(id)", method: .get, headers: [.cookie: session]).body)
            #expect(after.contains("Moderate PAD on the right.") && after.contains("Signed by kowalska, physician") && !after.contains("/signoff"), "\(after.suffix(2000))")
        }
        let stored = try store.exam(id)
        #expect(stored.status == .final && stored.signedBy == "kowalska" && stored.conclusion == "Moderate PAD on the right.")
        let actions = try store.auditTrail(exam: id).map(\.action)
        #expect(actions.contains("exam-finalized") && actions.contains("sign-off-password-wrong"))
    }

    @Test("Sessions end after the idle time and on sign-out; tokens are 64 hex digits and differ")
    func sessions() async throws {
        final class Clock: @unchecked Sendable { var now = Date(timeIntervalSince1970: 1_000_000) }
        let clock = Clock()
        let sessions = Sessions(idle: 15 * 60, clock: { clock.now })
        let a = await sessions.begin(user: "a", role: .technologist), b = await sessions.begin(user: "b", role: .admin)
        #expect(a.token != b.token && a.token.count == 64 && a.token.allSatisfy(\.isHexDigit) && a.csrf != a.token)
        clock.now += 14 * 60
        #expect(await sessions.session(a.token) != nil)  // used: kept alive
        clock.now += 14 * 60
        #expect(await sessions.session(a.token) != nil)
        #expect(await sessions.session(b.token) == nil)  // 28 minutes idle
        await sessions.end(a.token)
        #expect(await sessions.session(a.token) == nil)
    }

    @Test("Form bodies: + and %XX decoded, bad escapes kept, a repeated name keeps its last value")
    func forms() {
        #expect(Form.decode("name=J%C3%B3zef+Nowak&x=%zz&x=2&empty=&flag") == ["name": "Józef Nowak", "x": "2", "empty": "", "flag": ""])
        #expect(Form.decode("a=%") == ["a": "%"])
    }
}
