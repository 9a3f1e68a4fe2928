import Foundation
import XCTest

/// `stylize image PHOTO --style PICTURE`: painting by optimization, end to end. The loss network
/// here is the narrow VGG16-shaped test network (the real one is fetched by a script and too slow
/// for a debug build): these tests check the command, not the look.
final class OptimizationCommandTests: CLITestCase {
    var environment: [String: String]!

    override func setUpWithError() throws {
        try super.setUpWithError()
        let models = folder.appendingPathComponent("data/stylize/models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: CLIHarness.repositoryRoot.appendingPathComponent("Tests/StyleEngineTests/Fixtures/LossNetwork/narrow-vgg16.onnx"),
            to: models.appendingPathComponent("vgg16.onnx"))
        environment = CLIHarness.testEnvironment
        environment["XDG_DATA_HOME"] = folder.appendingPathComponent("data").path
    }

    func run(_ arguments: [String]) throws -> CLIHarness.Result {
        try CLIHarness.run(arguments, environment: environment)
    }

    func testAPictureAsTheStyleIsPaintedByOptimizationAtThePhotosSize() throws {
        let photo = try makePicture("photo.png", size: "77x53")
        let painting = try makePicture("painting.png", size: "48x40", source: "mandelbrot")
        let output = folder.appendingPathComponent("out.png")
        let result = try run(["image", photo.path, "-o", output.path, "--style", painting.path, "--iterations", "8",
                              "--max-size", "64"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("Optimizing at 64×48,"), result.stderr)
        XCTAssertTrue(result.stderr.contains("Done: 77×53 after"), result.stderr)
        try assertPicture(output, width: 77, height: 53, differingFrom: photo, by: 2)
    }

    func testTwoPicturesBlendAndTheMixMustMatchThem() throws {
        let photo = try makePicture("photo.png", size: "64x48")
        let a = try makePicture("a.png", size: "40x40", source: "mandelbrot"), b = try makePicture("b.png", size: "40x40")
        let output = folder.appendingPathComponent("mix.png")
        let blended = try run(["image", photo.path, "-o", output.path, "--style", a.path, "--style", b.path,
                               "--mix", "0.7,0.3", "--iterations", "3", "--max-size", "64"])
        XCTAssertEqual(blended.status, 0, blended.stderr)
        let wrong = try run(["image", photo.path, "-o", folder.appendingPathComponent("wrong.png").path, "--style", a.path,
                             "--style", b.path, "--mix", "1", "--iterations", "3"])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertEqual(wrong.stderrLines, ["stylize: error: --mix needs one weight per painting (2, got 1)"])
    }

    /// Each bad input: one line, exit 1, no output file.
    func testBadInputsAreOneLineAndNoFile() throws {
        let photo = try makePicture("photo.png", size: "64x48")
        let painting = try makePicture("painting.png", size: "48x40")
        let notAPicture = folder.appendingPathComponent("notes.jpg")
        try Data("not a picture\n".utf8).write(to: notAPicture)
        let tiny = try makePicture("tiny.png", size: "1x1")
        let output = folder.appendingPathComponent("out.png")
        var noNetwork = environment!
        noNetwork["XDG_DATA_HOME"] = folder.appendingPathComponent("empty").path
        let cases: [(String, [String], [String: String], String)] = [
            ("style not a picture", ["--style", notAPicture.path], environment, "notes.jpg"),
            ("no loss network", ["--style", painting.path], noNetwork, "fetch-loss-network.sh"),
            ("0 iterations", ["--style", painting.path, "--iterations", "0"], environment, "--iterations must be at least 1"),
            ("a preset and a picture", ["--style", painting.path, "--style", "sketch"], environment, "--style"),
            ("optimization option with a preset", ["--style", "sketch", "--iterations", "5"], environment, "--iterations"),
        ]
        for (label, arguments, env, fragment) in cases {
            let result = try CLIHarness.run(["image", photo.path, "-o", output.path] + arguments, environment: env)
            XCTAssertEqual(result.status, 1, "\(label): \(result.stderr)")
            XCTAssertEqual(result.stderrLines.count, 1, "\(label): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(fragment), "\(label): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: output.path), label)
        }
        let small = try run(["image", tiny.path, "-o", output.path, "--style", painting.path])
        XCTAssertEqual(small.status, 1, small.stderr)
        XCTAssertEqual(small.stderrLines.count, 1, small.stderr)
        XCTAssertTrue(small.stderr.contains("1×1"), small.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output.path))
    }

    func testCtrlCWritesTheBestPictureSoFar() throws {
        let photo = try makePicture("photo.png", size: "96x64")
        let painting = try makePicture("painting.png", size: "48x40", source: "mandelbrot")
        let output = folder.appendingPathComponent("early.png")
        let (process, _, err) = try CLIHarness.start(["image", photo.path, "-o", output.path, "--style", painting.path,
                                                      "--iterations", "100000", "--max-size", "96"], environment: environment)
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("iterations") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        // The line is printed once the handler is installed; dispatch registers it a moment later.
        usleep(500_000)
        XCTAssertTrue(process.isRunning, String(decoding: seen, as: UTF8.self))
        kill(process.processIdentifier, SIGINT)
        let rest = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130, rest)
        XCTAssertTrue(rest.contains("Stopped early"), rest)
        let facts = try XCTUnwrap(CLIHarness.probe(output, stream: "v:0"), rest)
        XCTAssertEqual(facts.width, 96)
    }

    // MARK: - Video (Ruder et al.)

    /// `stylize video --style PICTURE`: every frame painted, with its timestamp, and the audio kept;
    /// the time is estimated before it starts.
    func testAVideoIsPaintedFrameByFrameWithItsAudio() throws {
        let clip = folder.appendingPathComponent("clip.mp4")
        try CLIHarness.makeClip(clip, size: "64x48", frames: 6, rate: 12)
        let painting = try makePicture("painting.png", size: "48x40", source: "mandelbrot")
        let output = folder.appendingPathComponent("out.mp4")
        let result = try run(["video", clip.path, "-o", output.path, "--style", painting.path, "--iterations", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("Painting by optimization at 64×48: about"), result.stderr)
        let input = try XCTUnwrap(CLIHarness.probe(clip, stream: "v:0")), video = try XCTUnwrap(CLIHarness.probe(output, stream: "v:0"))
        XCTAssertEqual(video.frames, 6)
        XCTAssertEqual(try XCTUnwrap(video.duration), try XCTUnwrap(input.duration), accuracy: 0.01)
        XCTAssertNotNil(try CLIHarness.probe(output, stream: "a:0"), "the audio is kept")
        XCTAssertGreaterThan(meanAbsoluteDifference(try rawRGB(clip), try rawRGB(output)), 2, "the frames are painted")
    }

    /// The temporal term holds each frame to the previous result where the motion is reliable: on a
    /// still scene under changing noise, consecutive frames differ less with it than when every
    /// frame is optimized on its own (`--no-temporal`).
    func testTheTemporalTermSteadiesAStillSceneUnderNoise() throws {
        let clip = folder.appendingPathComponent("noisy.mkv")
        try CLIHarness.tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                                       "testsrc2=size=64x48:rate=12,noise=alls=40:allf=t", "-frames:v", "6",
                                       "-c:v", "ffv1", clip.path])
        let painting = try makePicture("painting.png", size: "48x40", source: "mandelbrot")
        func flicker(_ arguments: [String], _ name: String) throws -> Double {
            let output = folder.appendingPathComponent(name)
            let result = try run(["video", clip.path, "-o", output.path, "--style", painting.path, "--iterations", "4",
                                  "--crf", "0", "--quiet"] + arguments)
            XCTAssertEqual(result.status, 0, result.stderr)
            let frames = try rawRGB(output), size = 64 * 48 * 3
            XCTAssertEqual(frames.count, 6 * size)
            return (1..<6).map { t in
                meanAbsoluteDifference(Array(frames[(t - 1) * size..<t * size]), Array(frames[t * size..<(t + 1) * size]))
            }.reduce(0, +) / 5
        }
        let alone = try flicker(["--no-temporal"], "alone.mkv"), held = try flicker([], "held.mkv")
        print("mean change between frames: each frame alone \(alone), with the temporal term \(held)")
        XCTAssertLessThan(held, 0.8 * alone)
    }

    func testVideoOptionsThatDoNotFitAreOneLine() throws {
        let clip = folder.appendingPathComponent("clip.mp4")
        try CLIHarness.makeClip(clip, size: "64x48", frames: 2, rate: 12, audio: false)
        let painting = try makePicture("painting.png", size: "48x40")
        let output = folder.appendingPathComponent("out.mp4")
        let cases: [([String], String)] = [
            (["--temporal-weight", "1"], "--temporal-weight is for painting by optimization"),
            (["--style", painting.path, "--init", "noise"], "--init and --seed are for pictures"),
            (["--style", painting.path, "--temporal-weight=-1"], "--temporal-weight must be"),
            (["--style", painting.path, "--strength", "0.5"], "--strength and --variant are for networks"),
        ]
        for (arguments, fragment) in cases {
            let result = try run(["video", clip.path, "-o", output.path] + arguments)
            XCTAssertEqual(result.status, 1, result.stderr)
            XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(fragment), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output.path))
        }
    }
}
