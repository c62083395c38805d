// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "abi",
    products: [
        .executable(name: "abi", targets: ["abi"]),
        .library(name: "ABICore", targets: ["ABICore"]),
        .library(name: "ABIDevices", targets: ["ABIDevices"]),
        .library(name: "ABIReports", targets: ["ABIReports"]),
        .library(name: "ABICapture", targets: ["ABICapture"]),
        .library(name: "ABIWeb", targets: ["ABIWeb"]),
        .library(name: "ABIAudio", targets: ["ABIAudio"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // SQLite for the patient store (apt: libsqlite3-dev).
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // The web app (abi serve): HTTP server, router and test client; bcrypt for passwords.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        // ByteBuffer for response bodies (Hummingbird's own dependency, named for the import).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // HTTP field names (Hummingbird's own dependency, named for the import).
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // Graceful shutdown of the web app's services (captures, device watch) before the server,
        // and abi serve's own TLS (--tls-cert, --tls-key).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // Pure clinical domain: sites, readings, rules R1–R18, flags, exam and result formats. No I/O.
        .target(name: "ABICore"),
        // Device ingest: protocol codecs, line profiles, device readings (abi-reading/1).
        .target(name: "ABIDevices", dependencies: ["ABICore", "CUdev", "CShims", "CPCRE2"]),
        // Per-patient reports: text, HTML, PDF (Cairo and Pango), CSV, FHIR R4, HL7 v2.
        .target(name: "ABIReports", dependencies: ["ABICore", "ABIAudio", "CCairo", "CRsvg"]),
        // The patient store: patients, exams, every reading, the raw device journal, audit events.
        .target(name: "ABIStore", dependencies: ["ABICore", .product(name: "GRDB", package: "GRDB.swift"),
                                                .product(name: "GRDBSQLite", package: "GRDB.swift")]),
        // The bedside session: one engine for abi capture, abi enter and the web app (sequence,
        // marks, the automatic cuff, symptoms, review), recording through a store or an exam file.
        .target(name: "ABICapture", dependencies: ["ABICore", "ABIDevices", "ABIStore", "ABIAudio"]),
        // The clinic's web app (abi serve): sign-in with roles, sessions, the worklist; pages
        // rendered on the server over the store and the capture engine. No rule of its own.
        .target(name: "ABIWeb", dependencies: ["ABICore", "ABIStore", "ABIReports", "ABICapture", "ABIAudio",
                                               .product(name: "Hummingbird", package: "hummingbird"),
                                               .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                                               .product(name: "NIOCore", package: "swift-nio"),
                                               .product(name: "HTTPTypes", package: "swift-http-types"),
                                               .product(name: "HummingbirdTLS", package: "hummingbird"),
                                               .product(name: "HummingbirdCore", package: "hummingbird"),
                                               .product(name: "NIOSSL", package: "swift-nio-ssl"),
                                               .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                                               .product(name: "Logging", package: "swift-log")]),
        // The Doppler's sound: ALSA capture, sound files, short-time spectra, the waveform and the
        // signal return. Depends on no other module of ours: the capture engine brings the cuff.
        // Built optimised in debug builds too: the signal return must be found as the sound
        // arrives, and the test suite runs hundreds of synthetic sweeps through it.
        .target(name: "ABIAudio", dependencies: ["ABICore", "CAlsa", "CAudioShims", "CFFTW", "CSndfile"],
                swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // ALSA's variadic error handler, which Swift cannot write (silenced: abi says what failed).
        .target(name: "CAudioShims", dependencies: ["CAlsa"]),
        // ALSA, for the Doppler's audio output on a sound card's capture device (apt: libasound2-dev).
        .systemLibrary(name: "CAlsa", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        // FFTW (single precision), for the Doppler sound's short-time spectra (apt: libfftw3-dev).
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        // libsndfile, for WAV and FLAC recordings of the Doppler sound (apt: libsndfile1-dev).
        .systemLibrary(name: "CSndfile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        // libudev, for finding and watching USB-serial devices (apt: libudev-dev).
        .systemLibrary(name: "CUdev", pkgConfig: "libudev", providers: [.apt(["libudev-dev"])]),
        // PCRE2, the regular-expression engine of line profiles: bounded matching (apt: libpcre2-dev).
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),
        // Cairo and Pango, for the PDF report: text layout in every script with font fallback
        // through fontconfig, fonts embedded and subset (apt: libcairo2-dev, libpango1.0-dev).
        .systemLibrary(name: "CCairo", pkgConfig: "pangocairo", providers: [.apt(["libcairo2-dev", "libpango1.0-dev"])]),
        // librsvg, for an SVG logo in the PDF's letterhead, drawn as vectors (apt: librsvg2-dev).
        .systemLibrary(name: "CRsvg", pkgConfig: "librsvg-2.0", providers: [.apt(["librsvg2-dev"])]),
        // Fixed-signature wrappers for C calls Swift cannot make directly (variadic ioctl, ptys).
        .target(name: "CShims"),
        // The command-line tool: argument parsing and terminal/file I/O over ABICore.
        .executableTarget(
            name: "abi",
            dependencies: [
                "ABICore",
                "ABIDevices",
                "ABIReports",
                "ABIStore",
                "ABICapture",
                "ABIWeb",
                "ABIAudio",
                "CShims",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Codec throughput benchmark (scripts/bench-devices runs it in release mode).
        .executableTarget(name: "bench", dependencies: ["ABICore", "ABIDevices", "ABIAudio"]),
        .testTarget(name: "ABIAudioTests", dependencies: ["ABIAudio", "ABICore"]),
        .testTarget(name: "ABICoreTests", dependencies: ["ABICore"]),
        .testTarget(name: "ABIReportsTests", dependencies: ["ABIReports", "ABICore", "ABIAudio"], exclude: ["Golden", "Validators"]),
        .testTarget(name: "ABIStoreTests", dependencies: ["ABIStore", "ABICore", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "ABICaptureTests", dependencies: ["ABICapture", "ABIStore", "ABIDevices", "ABICore"]),
        .testTarget(name: "ABIWebTests", dependencies: ["ABIWeb", "ABIStore", "ABICore", "ABIDevices", "ABIReports",
                                                        .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                                                        .product(name: "NIOCore", package: "swift-nio"),
                                                        .product(name: "HTTPTypes", package: "swift-http-types"),
                                                        .product(name: "HummingbirdTesting", package: "hummingbird")]),
        .testTarget(name: "ABIDevicesTests", dependencies: ["ABIDevices", "ABICore", "CShims"]),
        // End-to-end tests run the built `abi` binary with real arguments, files and pipes.
        .testTarget(name: "abiTests", dependencies: ["abi", "ABICore"], exclude: ["Hotplug"]),
    ],
    swiftLanguageModes: [.v6]
)
