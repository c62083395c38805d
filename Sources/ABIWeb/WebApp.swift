import ABICore
import ABIReports
import ABIStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// The web app over one store: its routes, and the rules every request goes through (security
/// headers, a signed-in session for every route but sign-in and the assets, a CSRF token on every
/// request that changes something).
public struct WebApp: Sendable {
    public struct Settings: Sendable {
        /// Failed sign-ins in a row before the account is locked, and for how long.
        public var lockAfter = 5
        public var lockMinutes = 15
        /// Each failed sign-in waits this long before answering (slows guessing).
        public var failedSignInDelay: Duration = .milliseconds(500)
        /// The session cookie is `Secure` (under TLS).
        public var secureCookies = false
        /// The site's letterhead and interface identifiers, for the reports.
        public var site = SiteConfiguration()
        /// The start of "today" for the worklist (UTC RFC 3339); nil for midnight UTC.
        public var today: (@Sendable () -> String)?
        public init() {}
    }

    public let store: Store
    public let sessions: Sessions
    public let settings: Settings
    /// The captures running, and the station's devices.
    public let captures: LiveCaptures

    public init(store: Store, sessions: Sessions = Sessions(), settings: Settings = Settings(), captures: LiveCaptures = LiveCaptures()) {
        self.store = store
        self.sessions = sessions
        self.settings = settings
        self.captures = captures
    }

    public typealias Context = BasicRequestContext
    public typealias Handler = @Sendable (Request, Context, WebSession?) async throws -> Response

    /// A route of the app. Every route needs a signed-in session unless it is `open`, and a
    /// session of one of its `roles`.
    public struct Route: Sendable {
        public let method: HTTPRequest.Method
        public let path: String
        public let open: Bool
        public let roles: Set<Store.Role>
        let handler: Handler

        init(method: HTTPRequest.Method, path: String, open: Bool = false, roles: Set<Store.Role> = Set(Store.Role.allCases), handler: @escaping Handler) {
            self.method = method
            self.path = path
            self.open = open
            self.roles = open ? Set(Store.Role.allCases) : roles
            self.handler = handler
        }
    }

    /// Who may do what: technologists capture and enter exams; physicians also sign off and amend;
    /// admins look after users, devices and the site, and see no patient's record.
    public static let clinical: Set<Store.Role> = [.technologist, .physician]

    /// Every route, the one list the router is built from (and the security test walks).
    public var routes: [Route] {
        [
            Route(method: .get, path: "/signin", open: true) { _, _, session in
                session == nil ? WebApp.html(Page.signIn(message: nil, name: "")) : .redirect(to: "/", type: .normal)
            },
            Route(method: .post, path: "/signin", open: true) { request, context, _ in try await signIn(request, context) },
            Route(method: .get, path: "/assets/abi.css", open: true) { _, _, _ in
                var response = WebApp.body(Page.stylesheet, type: "text/css; charset=utf-8")
                response.headers[.cacheControl] = "max-age=3600"
                return response
            },
            Route(method: .get, path: "/assets/abi.svg", open: true) { _, _, _ in
                var response = WebApp.body(Page.icon, type: "image/svg+xml")
                response.headers[.cacheControl] = "max-age=86400"
                return response
            },
            Route(method: .post, path: "/signout") { _, _, session in
                guard let session else { return .redirect(to: "/signin") }
                await sessions.end(session.token)
                try? store.noteWebEvent("signed-out", actor: session.user)
                var response = Response.redirect(to: "/signin", type: .normal)
                response.setCookie(WebApp.sessionCookie("", secure: settings.secureCookies, maxAge: 0))
                return response
            },
            Route(method: .get, path: "/") { _, _, session in
                guard let session else { return .redirect(to: "/signin") }
                guard session.role != .admin else { return .redirect(to: "/admin", type: .normal) }
                return worklist(search: nil, session)
            },
            // A search is sent by POST, so that no patient's name or id goes into a URL (history, logs).
            Route(method: .post, path: "/search", roles: WebApp.clinical) { request, _, session in
                guard let session else { return .redirect(to: "/signin") }
                var request = request
                let query = (try await WebApp.form(&request))["q"]?.trimmingCharacters(in: .whitespaces) ?? ""
                return worklist(search: query.isEmpty ? nil : query, session)
            },
            Route(method: .get, path: "/patients/:id", roles: WebApp.clinical) { request, context, session in
                guard let session else { return .redirect(to: "/signin") }
                // The segment as sent (percent-encoded: an id may hold "/" or spaces), decoded.
                let id = context.parameters.get("id").map { $0.removingPercentEncoding ?? $0 } ?? ""
                do {
                    let (patient, history) = try store.history(patient: id)
                    try store.noteWebEvent("patient-viewed", actor: session.user, patient: patient.id)
                    return WebApp.html(Page.patient(patient, history: history, all: request.uri.queryParameters["all"] != nil, session: session))
                } catch let error as StoreError where error.kind == .notFound {
                    return WebApp.html(Page.message("No such patient", "There is no patient with this id. Find the patient from the worklist.", session: session), status: .notFound)
                } catch let error as StoreError {
                    return WebApp.html(Page.message("The store cannot be read", error.message, session: session), status: .internalServerError)
                }
            },
            Route(method: .get, path: "/exams/:id", roles: WebApp.clinical) { _, context, session in
                guard let session else { return .redirect(to: "/signin") }
                return try exam(context, session) { stored, report in
                    try store.noteWebEvent("exam-viewed", actor: session.user, patient: stored.exam.patient.id, exam: stored.id)
                    return WebApp.html(Page.exam(stored, report: report, audit: try store.auditTrail(exam: stored.id), session: session))
                }
            },
            Route(method: .get, path: "/exams/:id/report/:format", roles: WebApp.clinical) { _, context, session in
                guard let session else { return .redirect(to: "/signin") }
                return try exam(context, session) { stored, report in
                    guard let format = Page.formats.first(where: { $0.name == context.parameters.get("format") }) else {
                        return WebApp.html(Page.message("No such format", "Reports come as PDF, HTML, text, CSV, FHIR or HL7.", session: session), status: .notFound)
                    }
                    guard stored.discardReason == nil else {
                        return WebApp.html(Page.message("Not reported", "This exam was discarded; it is kept in the store but not reported.", session: session), status: .gone)
                    }
                    let (bytes, type) = WebApp.render(report, format.name)
                    try store.noteExport(stored.id, as: "\(format.name) report (web)", actor: session.user)
                    let name = "\(FileName.sanitized(stored.exam.patient.id))-exam-\(stored.id).\(format.ext)"
                    var response = Response(status: .ok, headers: [.contentType: type, .contentLength: String(bytes.count),
                                                                   .contentDisposition: "attachment; filename=\"\(name)\""],
                                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
                    response.headers[.cacheControl] = "no-store"
                    return response
                }
            },
            Route(method: .post, path: "/exams/:id/signoff", roles: [.physician]) { request, context, session in
                guard let session else { return .redirect(to: "/signin") }
                var request = request
                let form = try await WebApp.form(&request)
                return try await signOff(form, context, session)
            },
        ] + patientRoutes + examRoutes + captureRoutes + adminRoutes
    }

    /// The worklist, with the patients matching `search` (audited, without the words searched).
    func worklist(search: String?, _ session: WebSession) -> Response {
        let since = settings.today?() ?? String(Store.nowText().prefix(10)) + "T00:00:00Z"
        do throws(StoreError) {
            let list = try store.worklist(since: since)
            var found: [Patient]?
            if let search { found = try store.searchPatients(search) }
            if search != nil { try store.noteWebEvent("patients-searched", actor: session.user, detail: "\(found?.count ?? 0) found") }
            return WebApp.html(Page.worklist(list, search: search, found: found, session: session))
        } catch {
            return WebApp.html(Page.message("The store cannot be read", error.message, session: session), status: .internalServerError)
        }
    }

    /// Why a role may not use a route, in words.
    static func refusal(_ roles: Set<Store.Role>) -> String {
        if roles == [.physician] { return "Only a physician can do this (sign-off, conclusion and amendment)." }
        if roles == [.admin] { return "Only an admin looks after users, devices and the site settings." }
        return "Your role does not open patients' records: technologists and physicians do. An admin looks after users, devices and the site."
    }

    /// Signs an exam off: physicians only, with the password typed again and a conclusion. The
    /// store freezes the result as it is now (the signed report never changes).
    func signOff(_ form: [String: String], _ context: Context, _ session: WebSession) async throws -> Response {
        let conclusion = (form["conclusion"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let password = form["password"] ?? ""
        var failure: String?
        if conclusion.isEmpty { failure = "Write the interpretation and conclusion (or keep the draft) before signing." }
        if failure == nil {
            let user = try? store.user(session.user)
            if user.map({ Bcrypt.verify(password, hash: $0.passwordHash) }) != true {
                try? await Task.sleep(for: settings.failedSignInDelay)
                try? store.noteWebEvent("sign-off-password-wrong", actor: session.user, exam: context.parameters.get("id").flatMap { Int64($0) })
                failure = "The password is wrong; the exam was not signed."
            }
        }
        return try exam(context, session) { stored, report in
            if let failure {
                // Everything typed is kept: the form comes back with the conclusion as it was.
                return WebApp.html(Page.layout(title: "Exam \(stored.id)", session: session,
                                               body: "<h1>Sign exam \(stored.id)</h1>" + Page.signOffForm(stored, report: report, session: session, message: failure, conclusion: conclusion)),
                                   status: .unprocessableContent)
            }
            do {
                try store.finalize(stored.id, by: session.user, role: "physician", conclusion: conclusion, actor: session.user)
            } catch let error as StoreError {
                return WebApp.html(Page.message("Not signed", error.message, session: session), status: .conflict)
            }
            return .redirect(to: "/exams/\(stored.id)", type: .normal)
        }
    }

    /// The exam of the path's id and its report, or the page that says why there is none.
    func exam(_ context: Context, _ session: WebSession, _ body: (Store.StoredExam, ExamReport) throws -> Response) throws -> Response {
        guard let id = context.parameters.get("id").flatMap({ Int64($0) }) else {
            return WebApp.html(Page.message("No such exam", "Exam numbers are whole numbers; find the exam from the worklist.", session: session), status: .notFound)
        }
        do {
            let stored = try store.exam(id)
            return try body(stored, store.report(of: stored, site: settings.site))
        } catch let error as StoreError where error.kind == .notFound {
            return WebApp.html(Page.message("No such exam", "There is no exam \(id) in the store. Find the exam from the worklist.", session: session), status: .notFound)
        } catch let error as StoreError {
            return WebApp.html(Page.message("The store cannot be read", error.message, session: session), status: .internalServerError)
        }
    }

    /// A report in one of `Page.formats`, as bytes and media type.
    static func render(_ report: ExamReport, _ format: String) -> ([UInt8], String) {
        switch format {
        case "pdf": (PDFReport.render(report), "application/pdf")
        case "html": (Array(HTMLReport.render(report).utf8), "text/html; charset=utf-8")
        case "csv": (Array((CSVReport.headerLine + CSVReport.rows(report)).utf8), "text/csv; charset=utf-8")
        case "fhir": (Array(FHIRReport.render(report).utf8), "application/fhir+json; charset=utf-8")
        case "hl7": (Array(HL7Report.render(report, controlId: HL7Report.newControlId(), now: Timestamp(Store.nowText()) ?? Timestamp(secondsSinceEpoch: 0)).utf8),
                     "x-application/hl7-v2+er7; charset=utf-8")
        default: (Array(TextReport.render(report).utf8), "text/plain; charset=utf-8")
        }
    }

    /// The router: the routes behind the security middleware.
    public func router() -> Router<Context> {
        let router = Router(context: Context.self)
        router.add(middleware: SecurityHeaders())
        for route in routes {
            let handler = route.handler, open = route.open, roles = route.roles, sessions = self.sessions, store = self.store
            let what = "\(route.method) \(route.path)"
            router.on(RouterPath(route.path), method: route.method) { request, context -> Response in
                let session = await sessions.session(request.cookies[WebApp.cookieName]?.value)
                if !open && session == nil {
                    // Not signed in: a page goes to the sign-in form; a change is refused.
                    return request.method == .get ? .redirect(to: "/signin") : WebApp.html(Page.message("Sign in first", "Your session has ended. Sign in again.", session: nil), status: .forbidden)
                }
                if let session, !roles.contains(session.role) {
                    try? store.noteWebEvent("access-refused", actor: session.user, detail: "\(what) (role \(session.role.rawValue))")
                    return WebApp.html(Page.message("Not allowed", WebApp.refusal(roles), session: session), status: .forbidden)
                }
                if request.method == .post, !open {
                    var request = request
                    let form = try await WebApp.form(&request)
                    guard let session, form["csrf"] == session.csrf else {
                        return WebApp.html(Page.message("Refused", "The form was not sent by this app (its security token is missing or old). Go back, reload the page and try again.", session: session), status: .forbidden)
                    }
                    return try await handler(request, context, session)
                }
                return try await handler(request, context, session)
            }
        }
        return router
    }

    /// Serves the app until SIGINT or SIGTERM. The captures and the device watch run as a service
    /// beside the HTTP server; on shutdown they end first (each capture left in progress, to
    /// resume), so that the pages following them close, then the server stops.
    /// - Parameter tls: the certificate chain and private key (PEM files), for HTTPS.
    public func serve(host: String, port: Int, tls: (certificate: String, key: String)? = nil,
                      onRunning: @escaping @Sendable () -> Void) async throws {
        let server: HTTPServerBuilder
        if let tls {
            server = try .tls(.http1(), tlsConfiguration: try WebApp.tlsConfiguration(certificate: tls.certificate, key: tls.key))
        } else {
            server = .http1()
        }
        // Warnings and errors only: the log never holds a request's path (patient ids) or body.
        var logger = Logger(label: "abi serve")
        logger.logLevel = .warning
        let application = Application(router: router(), server: server, configuration: .init(address: .hostname(host, port: port), serverName: nil),
                                      onServerRunning: { _ in onRunning() }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [application, CaptureService(captures: captures)],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The server's TLS settings from PEM files, or why they cannot be used (naming the file).
    public static func tlsConfiguration(certificate: String, key: String) throws(TLSFileError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificate) } catch {
            throw TLSFileError(file: certificate, problem: "is not a PEM certificate that can be read (\(error))")
        }
        guard !chain.isEmpty else { throw TLSFileError(file: certificate, problem: "holds no certificate") }
        let privateKey: NIOSSLPrivateKey
        do { privateKey = try NIOSSLPrivateKey(file: key, format: .pem) } catch {
            throw TLSFileError(file: key, problem: "is not a PEM private key that can be read (\(error))")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
    }

    public struct TLSFileError: Error, CustomStringConvertible {
        public let file: String
        public let problem: String
        public var description: String { "\(file): \(problem)" }
    }

    /// The stored form of a password: bcrypt, cost 12.
    public static func passwordHash(_ password: String) -> String { Bcrypt.hash(password, cost: 12) }

    // MARK: Sign-in

    func signIn(_ request: Request, _ context: Context) async throws -> Response {
        var request = request
        let form = try await WebApp.form(&request)
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces), password = form["password"] ?? ""
        let address = "web"
        func refuse(_ message: String) async -> Response {
            try? await Task.sleep(for: settings.failedSignInDelay)
            return WebApp.html(Page.signIn(message: message, name: name), status: .unauthorized)
        }
        guard !name.isEmpty, !password.isEmpty else { return await refuse("Enter your user name and password.") }
        let user: Store.User?
        do { user = try store.user(name) } catch {
            return WebApp.html(Page.message("The store cannot be read", error.message, session: nil), status: .internalServerError)
        }
        guard let user else {
            // Same answer as a wrong password: the form does not tell which names exist.
            _ = Bcrypt.verify(password, hash: WebApp.dummyHash)
            return await refuse("The user name or password is wrong.")
        }
        if let until = user.lockedUntil, until > Store.nowText() {
            return await refuse("Too many failed sign-ins: this account is locked until \(until.prefix(16).replacingOccurrences(of: "T", with: " ")) UTC. An admin can tell you more.")
        }
        let good = Bcrypt.verify(password, hash: user.passwordHash)
        let lockedUntil = Timestamp(secondsSinceEpoch: Int(Date().timeIntervalSince1970) + settings.lockMinutes * 60).text
        try? store.noteSignIn(name, succeeded: good, lockAfter: settings.lockAfter, lockedUntil: lockedUntil, from: address)
        guard good else {
            let failures = user.failedSignIns + 1
            return await refuse(failures >= settings.lockAfter
                                ? "The user name or password is wrong. The account is now locked for \(settings.lockMinutes) minutes."
                                : "The user name or password is wrong.")
        }
        let session = await sessions.begin(user: user.name, role: user.role)
        var response = Response.redirect(to: "/", type: .normal)
        response.setCookie(WebApp.sessionCookie(session.token, secure: settings.secureCookies))
        return response
    }

    /// A hash to verify against when the name is unknown, so that both answers take as long.
    static let dummyHash = Bcrypt.hash("not a password of anyone", cost: 12)

    public static let cookieName = "abi_session"
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!

    static func sessionCookie(_ value: String, secure: Bool, maxAge: Int? = nil) -> Cookie {
        Cookie(name: cookieName, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    // MARK: Responses and forms

    static func html(_ page: String, status: HTTPResponse.Status = .ok) -> Response {
        var response = body(page, type: "text/html; charset=utf-8")
        response.status = status
        return response
    }

    static func body(_ text: String, type: String) -> Response {
        let buffer = ByteBuffer(string: text)
        return Response(status: .ok, headers: [.contentType: type, .contentLength: String(buffer.readableBytes)], body: .init(byteBuffer: buffer))
    }

    /// An `application/x-www-form-urlencoded` body (at most 64 KB), as names and values.
    static func form(_ request: inout Request) async throws -> [String: String] {
        let buffer = try await request.collectBody(upTo: 64 * 1024)
        return Form.decode(String(buffer: buffer))
    }
}

/// The captures and the device watch, as a service of the server's group.
struct CaptureService: Service {
    let captures: LiveCaptures

    func run() async throws {
        captures.devices.start()
        try? await gracefulShutdown()
        captures.endAll()
    }
}

/// The headers every answer carries: no inline script or style, no framing, no referrer, no
/// sniffing, and no caching of pages that hold patient data.
struct SecurityHeaders<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[WebApp.referrerPolicy] = "no-referrer"
        response.headers[WebApp.xFrameOptions] = "DENY"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}
