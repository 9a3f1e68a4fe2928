// swift-tools-version:6.0
// Stylize: videos and webcam feeds turned into moving paintings, on the CPU.
//
// The target list is the architecture. C shims sit at the edge; every arrow
// points toward the engine:
//
//   StylizeCLI ─▶ Pipeline ─┬─▶ StyleEngine ─▶ COpenBLAS   (the core: ONNX + kernels; VGG16 loss network, L-BFGS)
//       │                   │        └─────▶ CKernels    (CPU features; bf16/int8 GEMM; Winograd transforms, norm statistics, box blur, local moments)
//       │      (one frame   ├─▶ MediaIO ─────▶ CFFmpeg     (decode, convert, encode, stream copy)
//       │       pipeline,   ├─▶ OpticalFlow ─▶ CKernels    (DIS flow, warping, the reverse flow, occlusion; box blur)
//       │       the jobs    ├─▶ PresetCatalog              (finding styles on disk)
//       │       built on it,├─▶ Camera ──────▶ CV4L2       (webcams in; v4l2loopback and YUV4MPEG2 out)
//       │       segments)   ├─▶ Terminal                   (terminal preview, key reader)
//       │                   └─▶ CKernels                   (the temporal blend's passes over a plane)
//       └─────────────────────▶ Terminal                   (progress bar)
//
// StylizeCLI only parses and wires: it imports Pipeline and Terminal, nothing else.
// Outside the package: Distributed/ (the Ray driver, Python) runs the stylize binary; it links nothing.
import PackageDescription

let package = Package(
    name: "Stylize",
    products: [
        .executable(name: "stylize", targets: ["StylizeCLI"]),
        .library(name: "StyleEngine", targets: ["StyleEngine"]),
        .library(name: "MediaIO", targets: ["MediaIO"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: C shims
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat libavcodec libswscale libswresample libavutil",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libswresample-dev", "libavutil-dev"])]
        ),
        .systemLibrary(
            name: "CV4L2",
            pkgConfig: "libv4l2",
            providers: [.apt(["libv4l-dev"])]
        ),
        // OpenBLAS is loaded with dlopen, not linked: its CPU detection runs
        // when the library loads, and we must be able to correct it first.
        .target(name: "COpenBLAS", dependencies: ["CKernels"], linkerSettings: [.linkedLibrary("dl")]),
        // What the CPU reports, and the kernels that need more than the baseline (per-function targets; COpenBLAS reads the features).
        .target(name: "CKernels"),

        // MARK: Swift modules, core first
        .target(
            name: "StyleEngine",
            dependencies: ["COpenBLAS", "CKernels"],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .target(name: "MediaIO", dependencies: ["CFFmpeg"]),
        .target(
            name: "OpticalFlow",
            dependencies: ["CKernels"],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .target(name: "PresetCatalog"),
        .target(name: "Terminal"),
        // V4L2 capture and virtual-camera output, through an injectable driver.
        .target(name: "Camera", dependencies: ["CV4L2"]),
        .target(name: "Pipeline", dependencies: ["StyleEngine", "MediaIO", "PresetCatalog", "OpticalFlow", "Camera", "Terminal", "CKernels"]),
        .executableTarget(
            name: "StylizeCLI",
            dependencies: [
                "Pipeline", "Terminal",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            plugins: ["BuildInfo"]
        ),
        // `stylize --version`'s git commit, read at build time.
        .plugin(name: "BuildInfo", capability: .buildTool()),

        // MARK: Tests
        .testTarget(name: "StyleEngineTests", dependencies: ["StyleEngine"], resources: [.copy("Fixtures")]),
        .testTarget(name: "MediaIOTests", dependencies: ["MediaIO"]),
        .testTarget(name: "OpticalFlowTests", dependencies: ["OpticalFlow", "CKernels"]),
        .testTarget(name: "CameraTests", dependencies: ["Camera", "CameraTestSupport"]),
        // An in-memory V4L2 kernel that Camera's driver plugs into (Camera's tests and the pipeline's).
        .target(name: "CameraTestSupport", dependencies: ["Camera", "CV4L2"], path: "Tests/CameraTestSupport"),
        .testTarget(name: "TerminalTests", dependencies: ["Terminal", "TerminalTestSupport"]),
        // tmux as a terminal emulator the tests read back (Terminal's tests and the CLI's).
        .target(name: "TerminalTestSupport", path: "Tests/TerminalTestSupport"),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "MediaIO", "StyleEngine", "PresetCatalog", "Camera", "CKernels",
                                                           "CameraTestSupport"],
                    exclude: ["Fixtures"]),   // read from the source tree by path
        // Runs the built `stylize` binary as a user would.
        .testTarget(name: "StylizeCLITests", dependencies: ["StylizeCLI", "TerminalTestSupport"]),
    ],
    // Threads, locks and FFmpeg objects confined by hand: Swift 5 mode keeps
    // Sendable checking to warnings while the concurrency model settles.
    swiftLanguageModes: [.v5]
)

// Fuzz targets (libFuzzer), only when asked for: Benchmarks/fuzz.sh builds them with
// STYLIZE_FUZZ=1 and -sanitize=fuzzer,address. Each is an executable whose main is libFuzzer's.
if Context.environment["STYLIZE_FUZZ"] != nil {
    package.targets.append(.target(name: "FuzzSupport", path: "Fuzz/FuzzSupport"))
    for (name, dependency) in [("ModelFuzzer", "StyleEngine"), ("PresetFuzzer", "PresetCatalog"),
                               ("Y4MFuzzer", "Camera"), ("MediaFuzzer", "MediaIO")] {
        package.targets.append(.executableTarget(name: name, dependencies: [.target(name: dependency), "FuzzSupport"],
                                                 path: "Fuzz/\(name)"))
    }
}
