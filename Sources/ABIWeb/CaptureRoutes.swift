import ABICapture
import ABICore
import ABIDevices
import ABIStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Live capture: start a capture with a device from the station's live list, follow it (Server-
/// Sent Events), send it the operator's commands, and resume it after the browser, the server or
/// the cable was lost.
extension WebApp {
    var captureRoutes: [Route] {
        [
            Route(method: .get, path: "/patients/:id/captures/new", roles: WebApp.clinical) { _, context, session in
                guard let session else { return .redirect(to: "/signin") }
                return try patient(context, session) { patient in
                    if let open = try openCapture(patient.id) { return .redirect(to: "/captures/\(open)", type: .normal) }
                    return WebApp.html(Page.captureForm(patient, form: ManualEntryForm(), devices: captures.devices.offered(), trouble: captures.devices.trouble,
                                                        problems: [:], session: session))
                }
            },
            Route(method: .post, path: "/patients/:id/captures", roles: WebApp.clinical) { request, context, session in
                guard let session else { return .redirect(to: "/signin") }
                var request = request
                let form = ManualEntryForm(try await WebApp.form(&request))
                return try patient(context, session) { patient in try startCapture(patient, form, session) }
            },
            Route(method: .get, path: "/captures/:id", roles: WebApp.clinical) { _, context, session in
                guard let session else { return .redirect(to: "/signin") }
                return try capturePage(context, session)
            },
            Route(method: .post, path: "/captures/:id/resume", roles: WebApp.clinical) { request, context, session in
                guard let session else { return .redirect(to: "/signin") }
                var request = request
                let form = ManualEntryForm(try await WebApp.form(&request))
                return try resumeCapture(context, form, session)
            },
            Route(method: .post, path: "/captures/:id/command", roles: WebApp.clinical) { request, context, session in
                guard let session else { return .redirect(to: "/signin") }
                var request = request
                let form = try await WebApp.form(&request)
                guard let id = context.parameters.get("id").flatMap({ Int64($0) }), let capture = captures.capture(id) else {
                    return WebApp.html(Page.message("No capture running", "This capture is not running: open it from the worklist to resume it.", session: session), status: .notFound)
                }
                let line = (form["command"] ?? "") + ((form["text"]?.trimmed).map { $0.isEmpty ? "" : " " + $0 } ?? "")
                let typedAt = form["typedAt"].flatMap { BedsideSession.site(named: $0) }
                _ = await capture.perform(line.trimmed, typedAt: typedAt)
                // The page follows the capture's state; without the script, it is shown again.
                return .redirect(to: "/captures/\(id)", type: .normal)
            },
            Route(method: .get, path: "/captures/:id/events", roles: WebApp.clinical) { _, context, _ in
                guard let id = context.parameters.get("id").flatMap({ Int64($0) }), let capture = captures.capture(id) else {
                    return Response(status: .notFound)
                }
                return WebApp.events { writer in
                    var seen = -1, diagramSeen = -1, siteSeen: String?? = .none
                    while true {
                        let version = await capture.changes.wait(after: seen, timeout: .seconds(15))
                        if version == seen {
                            try await writer.write(ByteBuffer(string: ": still here\n\n"))
                            continue
                        }
                        seen = version
                        let state = capture.snapshot
                        if state.diagramVersion != diagramSeen || siteSeen != .some(state.site) {
                            diagramSeen = state.diagramVersion
                            siteSeen = .some(state.site)
                            let svg = capture.diagram(site: state.site.flatMap { BedsideSession.site(named: $0) })
                            try await writer.write(ByteBuffer(string: WebApp.event("diagram", WebApp.json(svg))))
                        }
                        try await writer.write(ByteBuffer(string: WebApp.event("state", WebApp.json(state))))
                        if state.ended != nil { break }
                    }
                }
            },
            Route(method: .get, path: "/devices/events", roles: WebApp.clinical.union([.admin])) { _, _, _ in
                let devices = captures.devices
                return WebApp.events { writer in
                    var seen = -1
                    while !devices.isStopped {
                        let version = await devices.changes.wait(after: seen, timeout: .seconds(15))
                        if version == seen {
                            try await writer.write(ByteBuffer(string: ": still here\n\n"))
                            continue
                        }
                        seen = version
                        try await writer.write(ByteBuffer(string: WebApp.event("devices", WebApp.json(devices.offered()))))
                    }
                }
            },
            Route(method: .get, path: "/assets/abi.js", open: true) { _, _, _ in
                var response = WebApp.body(Script.text, type: "text/javascript; charset=utf-8")
                response.headers[.cacheControl] = "max-age=3600"
                return response
            },
        ]
    }

    /// A stream of Server-Sent Events, written by `body` until it returns or the client leaves.
    static func events(_ body: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void) -> Response {
        Response(status: .ok, headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"],
                 body: ResponseBody { writer in
                     try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                     try await body(&writer)
                     try await writer.finish(nil)
                 })
    }

    static func event(_ name: String, _ data: String) -> String { "event: \(name)\ndata: \(data)\n\n" }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    /// The patient's capture in progress, if there is one.
    func openCapture(_ patient: String) throws(StoreError) -> Int64? {
        try store.worklist(since: "9999").inProgress.first { $0.patientId == patient }?.examId
    }

    /// A device profile by the name the list gives: built in, or a line-profile file (a binding).
    static func profile(_ name: String) throws -> DeviceProfile {
        if name.contains("/") || name.hasSuffix(".json") {
            return DeviceProfile.line(try LineProfile.decode(Array(try Data(contentsOf: URL(fileURLWithPath: name)))))
        }
        return try DeviceProfile.builtIn(name)
    }

    /// The device chosen in a form (`device` is a port of the live list, or empty for none),
    /// opened once to check it; or the problem, in words.
    func chosenDevice(_ form: ManualEntryForm) -> Result<(port: String, profile: DeviceProfile)?, ManualEntryForm.Problem> {
        let port = form.value("device")
        guard !port.isEmpty else { return .success(nil) }
        guard let offered = captures.devices.offered().first(where: { $0.port == port }) else {
            return .failure(.init("That device is no longer plugged in: choose one from the list."))
        }
        guard offered.present, let name = offered.profile else {
            return .failure(.init("This device has no profile: an admin binds it to one (Devices), or abi devices bind."))
        }
        let profile: DeviceProfile
        do { profile = try WebApp.profile(name) } catch {
            return .failure(.init("Its profile \(name) cannot be loaded (\(error))."))
        }
        do { try SerialPort(path: port, settings: profile.settings).close() } catch {
            return .failure(.init("The port cannot be opened: \(error). Check the cable, or run abi devices doctor."))
        }
        return .success((port, profile))
    }

    func startCapture(_ patient: Patient, _ form: ManualEntryForm, _ session: WebSession) throws -> Response {
        if let open = try openCapture(patient.id) { return .redirect(to: "/captures/\(open)", type: .normal) }
        let now = Timestamp(Store.nowText()) ?? Timestamp(secondsSinceEpoch: 0)
        var (details, problems) = form.details(user: session.user, now: now)
        problems["performedAt"] = nil
        details.performedAt = DeviceClock.now()
        let device = chosenDevice(form)
        if case .failure(let problem) = device { problems["device"] = problem.text }
        guard problems.isEmpty, case .success(let chosen) = device else {
            return WebApp.html(Page.captureForm(patient, form: form, devices: captures.devices.offered(), trouble: captures.devices.trouble,
                                                problems: problems, session: session), status: .unprocessableContent)
        }
        let plan = Store.CapturePlan(firstArm: form.firstArm, toes: !form.value("toes").isEmpty)
        let capture: LiveCapture
        do {
            capture = try LiveCapture(store: store, patient: patient, details: details, plan: plan, resume: nil, device: chosen,
                                      methods: form.methodChoice, actor: session.user)
            try capture.start()
        } catch {
            let why = (error as? StoreError)?.message ?? "\(error)"
            return WebApp.html(Page.captureForm(patient, form: form, devices: captures.devices.offered(), trouble: captures.devices.trouble,
                                                problems: ["device": "The capture could not start: \(why)."], session: session), status: .internalServerError)
        }
        captures.add(capture)
        return .redirect(to: "/captures/\(capture.examId)", type: .normal)
    }

    /// The capture's page: live when it runs; the resume form when its exam is in progress with
    /// no capture running (the server was restarted); the exam once it is finished.
    func capturePage(_ context: Context, _ session: WebSession) throws -> Response {
        try exam(context, session) { stored, _ in
            if let capture = captures.capture(stored.id), !capture.isOver {
                let state = capture.snapshot
                return WebApp.html(Page.capture(stored.exam.patient, state: state, diagram: capture.diagram(site: state.site.flatMap { BedsideSession.site(named: $0) }),
                                                session: session))
            }
            guard stored.status == .inProgress, stored.discardReason == nil else { return .redirect(to: "/exams/\(stored.id)", type: .normal) }
            let last = try? store.lastDevice(exam: stored.id)
            var form = ManualEntryForm()
            form.fields["device"] = last?.port ?? ""
            return WebApp.html(Page.resumeForm(stored, form: form, devices: captures.devices.offered(), last: last, problem: nil, session: session))
        }
    }

    func resumeCapture(_ context: Context, _ form: ManualEntryForm, _ session: WebSession) throws -> Response {
        try exam(context, session) { stored, _ in
            if let running = captures.capture(stored.id), !running.isOver { return .redirect(to: "/captures/\(stored.id)", type: .normal) }
            guard stored.status == .inProgress, stored.discardReason == nil else { return .redirect(to: "/exams/\(stored.id)", type: .normal) }
            let device = chosenDevice(form)
            if case .failure(let problem) = device {
                return WebApp.html(Page.resumeForm(stored, form: form, devices: captures.devices.offered(), last: try? store.lastDevice(exam: stored.id),
                                                   problem: problem.text, session: session), status: .unprocessableContent)
            }
            guard case .success(let chosen) = device else { return .redirect(to: "/captures/\(stored.id)", type: .normal) }
            do {
                let capture = try LiveCapture(store: store, patient: stored.exam.patient, details: nil, plan: nil, resume: stored.id, device: chosen,
                                              methods: form.methodChoice, actor: session.user)
                try capture.start()
                captures.add(capture)
            } catch {
                let why = (error as? StoreError)?.message ?? "\(error)"
                return WebApp.html(Page.resumeForm(stored, form: form, devices: captures.devices.offered(), last: nil,
                                                   problem: "The capture could not resume: \(why).", session: session), status: .conflict)
            }
            return .redirect(to: "/captures/\(stored.id)", type: .normal)
        }
    }
}
