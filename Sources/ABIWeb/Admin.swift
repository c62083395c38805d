import ABICore
import ABIDevices
import ABIReports
import ABIStore
import Foundation
import HTTPTypes
import Hummingbird

/// The admin's pages: users (add, unlock), devices (the live list with profiles and bindings,
/// bind and unbind, the doctor's checks) and the site settings the reports use.
extension WebApp {
    var adminRoutes: [Route] {
        [
            Route(method: .get, path: "/admin", roles: [.admin]) { _, _, session in
                guard let session else { return .redirect(to: "/signin") }
                return try adminPage(session, userProblems: [:], userFields: [:], deviceMessage: nil)
            },
            Route(method: .post, path: "/admin/users", roles: [.admin]) { request, _, session in
                guard let session else { return .redirect(to: "/signin") }
                var request = request
                let form = try await WebApp.form(&request)
                let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces), password = form["password"] ?? ""
                var problems: [String: String] = [:]
                if let problem = Store.userNameProblem(name) { problems["name"] = problem.capitalizedFirst + "." }
                if Store.Role(rawValue: form["role"] ?? "") == nil { problems["role"] = "Choose a role." }
                if let problem = Store.passwordProblem(password) { problems["password"] = problem.capitalizedFirst + "." }
                else if password != form["again"] { problems["again"] = "The two passwords differ." }
                if problems.isEmpty, let role = Store.Role(rawValue: form["role"] ?? "") {
                    let hash = WebApp.passwordHash(password)
                    do throws(StoreError) {
                        try store.addUser(name, role: role, passwordHash: hash, actor: session.user)
                        return .redirect(to: "/admin", type: .normal)
                    } catch {
                        problems["name"] = error.kind == .invalid ? "This name is taken." : error.message
                    }
                }
                return try adminPage(session, userProblems: problems, userFields: ["name": name, "role": form["role"] ?? ""], deviceMessage: nil,
                                     status: .unprocessableContent)
            },
            Route(method: .post, path: "/admin/users/unlock", roles: [.admin]) { request, _, session in
                guard let session else { return .redirect(to: "/signin") }
                var request = request
                let name = (try await WebApp.form(&request))["name"] ?? ""
                do throws(StoreError) { try store.unlockUser(name, actor: session.user) } catch {
                    return WebApp.html(Page.message("Not unlocked", error.message, session: session), status: .notFound)
                }
                return .redirect(to: "/admin", type: .normal)
            },
            Route(method: .post, path: "/admin/devices/bind", roles: [.admin]) { request, _, session in
                guard let session else { return .redirect(to: "/signin") }
                var request = request
                let form = try await WebApp.form(&request)
                let serial = (form["serial"] ?? "").trimmingCharacters(in: .whitespaces), profile = form["profile"] ?? ""
                guard !serial.isEmpty, ManualEntry.freeTextProblem(serial, max: 100) == nil else {
                    return try adminPage(session, userProblems: [:], userFields: [:], deviceMessage: "Not bound: give the adapter's serial number (as listed).", status: .unprocessableContent)
                }
                guard BuiltInProfiles.names.contains(profile) else {
                    return try adminPage(session, userProblems: [:], userFields: [:], deviceMessage: "Not bound: choose one of the built-in profiles.", status: .unprocessableContent)
                }
                var bindings = captures.devices.bindings
                bindings.bind(serial: serial, profile: profile)
                do { try bindings.save(to: captures.devices.bindingsPath) } catch {
                    return try adminPage(session, userProblems: [:], userFields: [:], deviceMessage: "Not bound: \(captures.devices.bindingsPath) cannot be written (\(error)).", status: .internalServerError)
                }
                try? store.noteWebEvent("device-bound", actor: session.user, detail: "serial \(serial) to \(profile)")
                captures.devices.changes.bump()
                return .redirect(to: "/admin", type: .normal)
            },
            Route(method: .post, path: "/admin/devices/unbind", roles: [.admin]) { request, _, session in
                guard let session else { return .redirect(to: "/signin") }
                var request = request
                let serial = (try await WebApp.form(&request))["serial"] ?? ""
                var bindings = captures.devices.bindings
                guard bindings.unbind(serial: serial) else {
                    return try adminPage(session, userProblems: [:], userFields: [:], deviceMessage: "No binding for that serial number.", status: .notFound)
                }
                do { try bindings.save(to: captures.devices.bindingsPath) } catch {
                    return try adminPage(session, userProblems: [:], userFields: [:], deviceMessage: "Not unbound: \(captures.devices.bindingsPath) cannot be written (\(error)).", status: .internalServerError)
                }
                try? store.noteWebEvent("device-unbound", actor: session.user, detail: "serial \(serial)")
                captures.devices.changes.bump()
                return .redirect(to: "/admin", type: .normal)
            },
        ]
    }

    func adminPage(_ session: WebSession, userProblems: [String: String], userFields: [String: String], deviceMessage: String?,
                   status: HTTPResponse.Status = .ok) throws -> Response {
        let users: [Store.User]
        do throws(StoreError) { users = try store.users() } catch {
            return WebApp.html(Page.message("The store cannot be read", error.message, session: session), status: .internalServerError)
        }
        let devices = captures.devices.offered()
        let findings = DeviceDoctor.examine(ports: devices.filter(\.present).map(\.port))
        let bindings = captures.devices.bindings
        return WebApp.html(Page.admin(users: users, userProblems: userProblems, userFields: userFields, devices: devices, trouble: captures.devices.trouble,
                                      bindings: bindings, bindingsPath: captures.devices.bindingsPath, findings: findings, deviceMessage: deviceMessage,
                                      site: settings.site, session: session),
                           status: status)
    }
}

extension Page {
    static func admin(users: [Store.User], userProblems: [String: String], userFields: [String: String], devices: [OfferedDevice], trouble: String?,
                      bindings: Bindings, bindingsPath: String, findings: [DeviceDoctor.Finding], deviceMessage: String?, site: SiteConfiguration, session: WebSession) -> String {
        var body = "<h1>Administration</h1><nav class=\"actions\"><a href=\"#users\">Users</a> <a href=\"#devices\">Devices</a> <a href=\"#site\">Site</a></nav>"
        // Users.
        body += "<section id=\"users\"><h2>Users</h2><table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Role</th><th scope=\"col\">Failed sign-ins</th><th scope=\"col\">Locked until (UTC)</th><th scope=\"col\"></th></tr></thead><tbody>"
        for user in users {
            body += "<tr><td>\(e(user.name))</td><td>\(e(user.role.rawValue))</td><td>\(user.failedSignIns)</td><td>\(e(user.lockedUntil.map { String($0.prefix(16)).replacingOccurrences(of: "T", with: " ") } ?? ""))</td><td>"
            if user.lockedUntil != nil || user.failedSignIns > 0 {
                body += "<form method=\"post\" action=\"/admin/users/unlock\">\(csrfField(session))<input type=\"hidden\" name=\"name\" value=\"\(e(user.name))\"><button type=\"submit\">Unlock</button></form>"
            }
            body += "</td></tr>"
        }
        body += "</tbody></table>"
        body += problemSummary([("name", "Name"), ("role", "Role"), ("password", "Password"), ("again", "Password again")].compactMap { key, label in userProblems[key].map { (key, label, $0) } })
        body += "<form method=\"post\" action=\"/admin/users\" class=\"form\">\(csrfField(session))<fieldset><legend>Add a user</legend><div class=\"row\">"
        body += input("name", "Sign-in name", value: userFields["name"] ?? "", problem: userProblems["name"], attributes: "required maxlength=\"64\" autocomplete=\"off\"")
        body += select("role", "Role", options: [("technologist", "technologist (capture, entry, preliminary reports)"), ("physician", "physician (also sign-off and amendments)"),
                                                 ("admin", "admin (users, devices, site)")], selected: userFields["role"] ?? "technologist", problem: userProblems["role"])
        body += input("password", "Password (at least \(Store.minimumPasswordLength) characters)", value: "", problem: userProblems["password"], type: "password",
                      attributes: "required autocomplete=\"new-password\"")
        body += input("again", "Password again", value: "", problem: userProblems["again"], type: "password", attributes: "required autocomplete=\"new-password\"")
        body += "</div><button type=\"submit\">Add the user</button></fieldset></form></section>"

        // Devices.
        body += "<section id=\"devices\"><h2>Devices</h2>"
        if let trouble { body += "<p class=\"banner\">\(e(trouble))</p>" }
        if let deviceMessage { body += "<p class=\"error\" role=\"alert\">\(e(deviceMessage))</p>" }
        if devices.isEmpty {
            body += "<p class=\"empty\">No serial device is plugged in.</p>"
        } else {
            body += "<table><thead><tr><th scope=\"col\">Port</th><th scope=\"col\">USB id</th><th scope=\"col\">Serial number</th><th scope=\"col\">Product</th><th scope=\"col\">Profile</th><th scope=\"col\">Bound by</th></tr></thead><tbody>"
            for d in devices {
                body += "<tr><td>\(e(d.port))\(d.present ? "" : " (not plugged in)")</td><td>\(e(d.usbId ?? ""))</td><td>\(e(d.serial ?? ""))</td><td>\(e(d.product ?? ""))</td>"
                body += "<td>\(e(d.profile ?? "none: listed, never opened"))</td><td>\(e(d.boundBy ?? ""))</td></tr>"
            }
            body += "</tbody></table>"
        }
        body += "<form method=\"post\" action=\"/admin/devices/bind\" class=\"form\">\(csrfField(session))<fieldset><legend>Bind a device to its profile</legend><div class=\"row\">"
        body += input("serial", "Adapter serial number", value: "", problem: nil, attributes: "required maxlength=\"100\" autocomplete=\"off\"")
        body += select("profile", "Profile", options: BuiltInProfiles.names.map { ($0, $0) }, selected: "")
        body += "</div><button type=\"submit\">Bind</button> <span class=\"hint\">Bindings are kept in \(e(bindingsPath)); a udev rule's profile comes first.</span></fieldset></form>"
        if !bindings.profiles.isEmpty {
            body += "<h3>Bindings</h3><table><thead><tr><th scope=\"col\">Serial number</th><th scope=\"col\">Profile</th><th scope=\"col\"></th></tr></thead><tbody>"
            for (serial, profile) in bindings.profiles.sorted(by: { $0.key < $1.key }) {
                body += "<tr><td>\(e(serial))</td><td>\(e(profile))</td><td><form method=\"post\" action=\"/admin/devices/unbind\">\(csrfField(session))"
                body += "<input type=\"hidden\" name=\"serial\" value=\"\(e(serial))\"><button type=\"submit\">Unbind</button></form></td></tr>"
            }
            body += "</tbody></table>"
        }
        body += "<h3>Checks (abi devices doctor)</h3>"
        if findings.isEmpty {
            body += "<p class=\"empty\">No device present to check.</p>"
        } else {
            body += "<table><thead><tr><th scope=\"col\">Result</th><th scope=\"col\">Check</th><th scope=\"col\">Detail</th><th scope=\"col\">Fix</th></tr></thead><tbody>"
            for f in findings {
                body += "<tr class=\"\(f.level.rawValue)\"><td>\(e(f.level == .ok ? "ok" : f.level == .warning ? "warning" : "PROBLEM"))</td><td>\(e(f.check))</td><td>\(e(f.detail))</td><td>\(e(f.level == .ok ? "" : f.fix ?? ""))</td></tr>"
            }
            body += "</tbody></table>"
        }
        body += "</section>"

        // The site settings the reports use.
        body += "<section id=\"site\"><h2>Site settings (for the reports)</h2><dl class=\"demographics\">"
        let rows: [(String, String?)] = [
            ("Clinic", site.clinic), ("Department", site.department), ("Address", site.address), ("Phone", site.phone),
            ("Logo", site.logo.map { "\($0.mediaType), \($0.bytes.count) bytes" }),
            ("HL7 sending application", site.hl7.application), ("HL7 sending facility", site.hl7.facility),
            ("HL7 receiving application", site.hl7.receivingApplication.isEmpty ? nil : site.hl7.receivingApplication),
            ("HL7 receiving facility", site.hl7.receivingFacility.isEmpty ? nil : site.hl7.receivingFacility),
            ("Assigning authority (PID-3)", site.assigningAuthority), ("FHIR patient identifier system", site.patientIdentifierSystem),
            ("Time zone of the reports", site.timeZone), ("Pseudonym key for research exports", site.pseudonymKey.map { _ in "set (not shown)" }),
        ]
        for (label, value) in rows { body += "<dt>\(e(label))</dt><dd>\(e(value ?? "not set"))</dd>" }
        body += "</dl><p class=\"hint\">These come from the site file (site.json: ABI_SITE, ~/.config/abi/site.json or /etc/abi/site.json, described in docs/formats.md), read when abi serve starts. Edit it and restart abi serve to change them.</p></section>"
        return layout(title: "Administration", session: session, body: body)
    }
}
