import Foundation
import Testing

/// The web app in a real browser (Tests/Browser/webapp.py): headless Chromium through Selenium,
/// signing in, adding a patient, entering a PAD exam by hand, live captures with a simulated
/// Doppler manometer (Space marks; the cable pulled and plugged back; the browser closed and the
/// server killed, then resumed) and a simulated SunTech cuff (Auto), sign-off by a physician, the
/// PDF and FHIR downloads through the validators, axe-core and the Nu HTML Checker on every page.
/// Screenshots go to .build/browser-screens (ABI_SCREENSHOTS chooses another folder).
@Suite struct BrowserTests {
    @Test("The web app in headless Chromium: every step a clinician takes, every page accessible and valid HTML")
    func webApp() throws {
        let root = CommandTests.packageDirectory
        let out = ProcessInfo.processInfo.environment["ABI_SCREENSHOTS"].map { URL(fileURLWithPath: $0) }
            ?? root.appendingPathComponent(".build/browser-screens")
        let run = try CommandTests.run(URL(fileURLWithPath: "/usr/bin/timeout"),
                                       ["600", root.appendingPathComponent(".build-python/bin/python3").path,
                                        root.appendingPathComponent("Tests/Browser/webapp.py").path,
                                        "--abi", CommandTests.binary.path, "--out", out.path])
        let failed = run.stdout.split(separator: "\n").filter { $0.hasPrefix("FAIL") }
        #expect(run.status == 0 && failed.isEmpty, "\(failed.joined(separator: "\n"))\n\(run.stdout.suffix(3000))\n\(run.stderr.suffix(3000))")
        #expect(run.stdout.contains("all checks passed"))
        if let figure = run.stdout.split(separator: "\n").first(where: { $0.hasPrefix("figure:") }) { print(figure) }
    }
}
