import Foundation
import XCTest
import MediaIO
@testable import Pipeline
import PresetCatalog
import StyleEngine

/// Presets that are rows of a style bank (Fixtures/StyleBank, made by Training/make_test_bank.py:
/// a tiny random network with rows photo, alpha, alpha:bold, beta).
final class StyleBankTests: TemporaryFolderTestCase {
    private func assertClose(_ a: [Float], _ b: [Float], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-6, "\(a) vs \(b)", file: file, line: line) }
    }

    static let fixtures = VideoStylizationTests.repository.appendingPathComponent("Tests/PipelineTests/Fixtures/StyleBank").path
    static let still = VideoStylizationTests.repository.appendingPathComponent("Tests/PipelineTests/Fixtures/stills/coffee.jpg").path
    var catalog: PresetCatalog { PresetCatalog(searchPaths: [Self.fixtures]) }

    func testAStrengthMovesFromThePhotoThroughThePaintingToItsBoldestLook() throws {
        let alpha = try catalog.resolve("alpha"), beta = try catalog.resolve("beta")
        XCTAssertEqual(catalog.all().map(\.name), ["alpha", "beta", "gamma"], "the bank's own folder is not a preset")
        let look = try XCTUnwrap(alpha.bank)
        XCTAssertEqual(look.bank.rows, ["photo", "alpha", "alpha:bold", "beta"])
        XCTAssertEqual(alpha.modelPath(for: .quality), Self.fixtures + "/bank/quality.onnx")
        XCTAssertEqual(look.weights(strength: 0), ["photo": 1])
        XCTAssertEqual(look.weights(strength: 0.3), ["photo": 0.5, "alpha": 0.5])
        XCTAssertEqual(look.weights(strength: 0.6), ["alpha": 1])
        let between = look.weights(strength: 0.8)
        XCTAssertEqual(between["alpha"] ?? 0, 0.5, accuracy: 1e-6)
        XCTAssertEqual(between["alpha:bold"] ?? 0, 0.5, accuracy: 1e-6)
        XCTAssertEqual(look.weights(strength: 1), ["alpha:bold": 1])
        XCTAssertEqual(try XCTUnwrap(beta.bank).weights(strength: 1), ["beta": 1], "no bold row: stays at the painting")
        var settings = StyleSettings(preset: alpha)
        settings.strength = 0.3
        XCTAssertEqual(settings.modelInputs(strength: 0.3)[StyleBank.weightsInput]?.data, [0.5, 0.5, 0, 0])
        XCTAssertEqual(StyleSettings(preset: alpha).strength, 0.6, "a bank preset starts at its usual look")
        XCTAssertEqual(StyleSettings(preset: alpha).fade(strength: 0.3), 1, "its strength is in the weights, not a fade")
    }

    func testABlendMixesTheRowsOfEveryPart() throws {
        let settings = try StyleSettings(style: "\(Self.fixtures)/alpha:3,\(Self.fixtures)/beta:1", variant: nil)
        XCTAssertEqual(settings.name, "alpha:3,beta:1")
        assertClose(try XCTUnwrap(settings.modelInputs(strength: 0.6)[StyleBank.weightsInput]).data, [0, 0.75, 0, 0.25])
        // alpha at 0.3 is half photo; beta at 0.3 (its default 0.5) is 40% photo.
        assertClose(try XCTUnwrap(settings.modelInputs(strength: 0.3)[StyleBank.weightsInput]).data,
                    [0.75 * 0.5 + 0.25 * 0.4, 0.75 * 0.5, 0, 0.25 * 0.6])
    }

    /// gamma's row was added after the bank was exported (its values are alpha's): the network
    /// grows a row, and gamma paints as alpha does, alone or in a blend.
    func testARowLearnedLaterIsAddedToTheBank() throws {
        let gamma = try catalog.resolve("gamma")
        XCTAssertEqual(gamma.bank?.addedRows?.names, ["gamma"])
        let settings = StyleSettings(preset: gamma)
        XCTAssertEqual(settings.bankRows, ["photo", "alpha", "alpha:bold", "beta", "gamma"])
        XCTAssertEqual(settings.modelInputs(strength: 0.6)[StyleBank.weightsInput]?.data, [0, 0, 0, 0, 1])
        let blend = try StyleSettings(style: "\(Self.fixtures)/gamma:1,\(Self.fixtures)/beta:1", variant: nil)
        XCTAssertEqual(blend.modelInputs(strength: 0.6)[StyleBank.weightsInput]?.data, [0, 0, 0, 0.5, 0.5])

        let original = try XCTUnwrap(try MediaReader(path: Self.still).nextVideoFrame())
        let size = NetworkSize(fitting: original.width, original.height, maxSize: 48, multiple: 4)
        func painted(_ settings: StyleSettings) throws -> [Float] {
            try FrameStylizer(model: try settings.loadModel(), inputRange: 255, size: size)
                .stylize(original, modelInputs: settings.modelInputs(strength: 0.6)).pixels
        }
        let alpha = StyleSettings(preset: try catalog.resolve("alpha"))
        XCTAssertTrue(try painted(settings) == painted(alpha), "gamma's row is alpha's values")
        XCTAssertTrue(try painted(blend) != painted(alpha))
    }

    /// n/p on a live feed: styles of one bank cross-fade over half a second (their weights
    /// mixed, one plan for the whole fade); a plain network cuts.
    func testAChangeOfStyleCrossFadesBetweenRowsOfOneBank() throws {
        final class Clock: @unchecked Sendable { var now = 100.0 }
        let clock = Clock()
        let controls = LiveControls(styleCount: 3, strength: 0.6, temporal: true, clock: { clock.now })
        controls.nextStyle()
        XCTAssertEqual(controls.current.style, 1)
        XCTAssertEqual(controls.current.fade?.from, 0)
        XCTAssertEqual(controls.current.fade?.progress, 0)
        clock.now += LiveControls.fadeSeconds / 2
        XCTAssertEqual(controls.current.fade?.progress ?? -1, 0.5, accuracy: 1e-6)
        clock.now += LiveControls.fadeSeconds / 2
        XCTAssertNil(controls.current.fade, "the fade is over")

        let alpha = StyleSettings(preset: try catalog.resolve("alpha")), beta = StyleSettings(preset: try catalog.resolve("beta"))
        let plain = StyleSettings(preset: try PresetCatalog(searchPaths: [VideoStylizationTests.repository.appendingPathComponent("Presets").path]).resolve("sketch"))
        XCTAssertTrue(alpha.mixes(with: beta))
        XCTAssertFalse(alpha.mixes(with: plain))
        XCTAssertFalse(alpha.mixes(with: StyleSettings(preset: try catalog.resolve("gamma"))), "gamma's network has a row more")
        // A quarter of the way from alpha (at 0.3: half photo, half its row) to beta (at 0.3, its default
        // 0.5: 40% photo, 60% its row).
        assertClose(try XCTUnwrap(beta.modelInputs(strength: 0.3, fadingFrom: alpha, progress: 0.25)[StyleBank.weightsInput]).data,
                    [0.75 * 0.5 + 0.25 * 0.4, 0.75 * 0.5, 0, 0.25 * 0.6])
    }

    /// Through the pipeline: a cross-fade from alpha to beta keeps the temporal history (one
    /// reset, the first frame) and paints the fade's frames between the two; a cut starts afresh.
    func testAFadeThroughThePipelineKeepsTheHistoryAndACutDoesNot() throws {
        final class Script: LookProvider, @unchecked Sendable {
            let looks: [Look]
            private let lock = NSLock()
            private var index = 0
            init(_ looks: [Look]) { self.looks = looks }
            var current: Look { lock.withLock { defer { index += 1 }; return looks[min(index, looks.count - 1)] } }
        }
        final class Recording: FrameSink {
            var frames: [[UInt8]] = []
            func write(_ frame: VideoFrame) throws(PipelineError) { frames.append(frame.pixelBytes()) }
            func close() {}
        }
        let clip = folder.appendingPathComponent("clip.mp4")
        try makeClip(clip, size: "64x48", rate: 10, frames: 12)
        let styles = try [catalog.resolve("alpha"), catalog.resolve("beta")].map { FramePipeline.Style(settings: StyleSettings(preset: $0), model: try StyleSettings(preset: $0).loadModel()) }
        func run(_ looks: [Look]) throws -> (Int?, [[UInt8]]) {
            let pipeline = FramePipeline(styles: styles, size: NetworkSize(fitting: 64, 48, maxSize: 64), threads: ThreadPlan(threads: 1),
                                         admission: .waitForWorker, temporal: .live())
            let recording = Recording()
            let summary = try pipeline.run(source: try MediaFileSource(path: clip.path), sinks: [recording], looks: Script(looks))
            return (summary.temporalResets, recording.frames)
        }
        var looks = (0..<12).map { Look(style: $0 < 4 ? 0 : 1, strength: 0.6) }
        let (cutResets, cut) = try run(looks)
        for i in 4..<8 { looks[i].fade = (0, Float(i - 4) / 4) }
        let (fadeResets, faded) = try run(looks)
        XCTAssertEqual(cutResets, 2, "a cut starts a fresh history")
        XCTAssertEqual(fadeResets, 1, "a fade between rows of one bank keeps it")
        XCTAssertEqual(faded.count, 12)
        XCTAssertTrue(faded[3] == cut[3], "before the change, the same pictures")
        XCTAssertTrue(faded[5] != cut[5], "during the fade, a mix")
    }

    func testBadBlendsGetOneLineNamingTheProblem() {
        let alpha = "\(Self.fixtures)/alpha", beta = "\(Self.fixtures)/beta"
        let plain = VideoStylizationTests.repository.appendingPathComponent("Presets/sketch").path
        let otherBank = VideoStylizationTests.repository.appendingPathComponent("Presets/starry-night").path
        for (style, expected) in [("\(alpha):-1,\(beta):1", "must be a number ≥ 0"), ("\(alpha):x,\(beta)", "must be a number ≥ 0"),
                                  ("\(alpha):0,\(beta):0", "add up to more than 0"), ("\(alpha),\(plain)", "cannot be blended"), ("\(alpha),\(otherBank)", "different style banks"),
                                  ("\(alpha):1,\(Self.fixtures)/nosuch:1", "not a preset"), ("\(alpha):1,:1", "empty name")] {
            XCTAssertThrowsError(try StyleSettings(style: style, variant: nil), style) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(style): \(error)")
            }
        }
    }

    /// The fixture bank has only a quality network: a row preset that keeps its own realtime
    /// network paints realtime with it, as a plain network (a fade, no blends).
    func testAVariantTheBankLacksRunsThePresetsOwnNetwork() throws {
        let folder = self.folder.appendingPathComponent("delta")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let sketch = VideoStylizationTests.repository.appendingPathComponent("Presets/sketch/model.onnx").path
        try #"{"models": {"realtime": "\#(sketch)", "quality": "\#(sketch)"}, "bank": {"folder": "\#(Self.fixtures)/bank", "photo": "photo", "row": "beta", "strength": 0.5}}"#
            .write(to: folder.appendingPathComponent("preset.json"), atomically: true, encoding: .utf8)
        let delta = try PresetCatalog(searchPaths: [self.folder.path, Self.fixtures]).resolve("delta")
        XCTAssertEqual(delta.modelPath(for: .quality), Self.fixtures + "/bank/quality.onnx", "the bank's network wins")
        XCTAssertEqual(delta.modelPath(for: .realtime), sketch)
        XCTAssertNotNil(delta.bankLook(for: .quality))
        XCTAssertNil(delta.bankLook(for: .realtime))
        let quality = StyleSettings(preset: delta), realtime = StyleSettings(preset: delta, variant: .realtime)
        XCTAssertEqual(quality.strength, 0.5)
        XCTAssertEqual(realtime.strength, 1, "a plain network's full look")
        XCTAssertEqual(realtime.fade(strength: 0.4), 0.4)
        XCTAssertTrue(realtime.modelInputs(strength: 1).isEmpty)
        XCTAssertEqual(try StyleSettings(style: folder.path, variant: .realtime).strength, 1)
        XCTAssertFalse(realtime.mixes(with: StyleSettings(preset: try catalog.resolve("alpha"), variant: .realtime)))
        let blend = "\(folder.path):1,\(Self.fixtures)/alpha:1"
        XCTAssertNoThrow(try StyleSettings(style: blend, variant: .quality))
        XCTAssertThrowsError(try StyleSettings(style: blend, variant: .realtime)) { error in
            XCTAssertTrue("\(error)".contains("has no realtime network"), "\(error)")
        }
        // gamma has no network of its own: asked for realtime, the bank's quality network runs, with gamma's rows.
        let gamma = StyleSettings(preset: try catalog.resolve("gamma"), variant: .realtime)
        XCTAssertEqual(gamma.strength, 0.6)
        XCTAssertNoThrow(try gamma.loadModel())
    }

    /// A bank with both networks, and a row learned for the quality one only (as `stylize train`
    /// learns it): asked for realtime, the quality network paints it, with its rows.
    func testARowLearnedForOneNetworkPaintsWithThatNetwork() throws {
        let bank = folder.appendingPathComponent("bank"), learned = folder.appendingPathComponent("gamma")
        try FileManager.default.createDirectory(at: bank, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixtures + "/bank/quality.onnx", toPath: bank.path + "/quality.onnx")
        try FileManager.default.copyItem(atPath: Self.fixtures + "/bank/quality.onnx", toPath: bank.path + "/realtime.onnx")
        try #"{"rows": ["photo", "alpha", "alpha:bold", "beta"], "models": {"quality": "quality.onnx", "realtime": "realtime.onnx"}}"#
            .write(to: bank.appendingPathComponent("bank.json"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: Self.fixtures + "/gamma", toPath: learned.path)
        try FileManager.default.copyItem(atPath: Self.fixtures + "/beta", toPath: folder.path + "/beta")
        let presets = PresetCatalog(searchPaths: [folder.path])
        let gamma = try presets.resolve("gamma"), beta = try presets.resolve("beta")
        XCTAssertEqual(beta.modelPath(for: .realtime), bank.path + "/realtime.onnx", "the bank's own rows run on both")
        XCTAssertEqual(gamma.modelPath(for: .realtime), bank.path + "/quality.onnx")
        XCTAssertNotNil(gamma.bankLook(for: .realtime))
        let live = StyleSettings(preset: gamma, variant: .realtime)
        XCTAssertNoThrow(try live.loadModel())
        XCTAssertEqual(live.modelInputs(strength: 0.6)[StyleBank.weightsInput]?.data, [0, 0, 0, 0, 1])
    }

    /// (The command line always finds the checkout's own bank beside its binary.)
    func testLearningAStyleNeedsABank() throws {
        let options = StyleLearningOptions(paintingPath: Self.still, name: "x")
        XCTAssertThrowsError(try StyleLearning(options: options, catalog: PresetCatalog(searchPaths: [folder.path]))) { error in
            XCTAssertTrue("\(error)".contains("no style bank is installed"), "\(error)")
        }
    }

    func testAPresetNamingARowTheBankLacksIsRefused() throws {
        let folder = self.folder.appendingPathComponent("odd")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try #"{"bank": {"folder": "\#(Self.fixtures)/bank", "photo": "photo", "row": "gamma", "strength": 0.5}}"#
            .write(to: folder.appendingPathComponent("preset.json"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PresetCatalog(searchPaths: [self.folder.path]).resolve("odd")) { error in
            XCTAssertTrue("\(error)".contains("has no row 'gamma'"), "\(error)")
        }
    }

    /// A still through the image job: the network runs with the weights of the strength asked
    /// for, and the result is not faded toward the photo.
    func testTheImageJobPaintsWithTheStrengthsWeights() throws {
        func painted(_ strength: Float) throws -> VideoFrame {
            var style = StyleSettings(preset: try catalog.resolve("alpha"))
            style.strength = strength
            let output = folder.appendingPathComponent("alpha-\(strength).png").path
            var options = ImageJobOptions(inputPath: Self.still, outputPath: output, style: style)
            options.maxSize = 64
            _ = try ImageStylization(options: options).run()
            return try XCTUnwrap(try MediaReader(path: output).nextVideoFrame())
        }
        let photoRow = try painted(0), usual = try painted(0.6), bold = try painted(1)
        let original = try XCTUnwrap(try MediaReader(path: Self.still).nextVideoFrame())
        XCTAssertTrue(photoRow.pixelBytes() != usual.pixelBytes())
        XCTAssertTrue(usual.pixelBytes() != bold.pixelBytes())
        XCTAssertEqual(photoRow.width, original.width)

        // The same network run directly with the photo row's weights, with no fade toward the photo
        // (a fade at strength 0 would give the photo itself; this random network's photo row is far from it).
        let model = try StyleModel(contentsOf: Self.fixtures + "/bank/quality.onnx")
        let size = NetworkSize(fitting: original.width, original.height, maxSize: 64, multiple: 4)
        let direct = try FrameStylizer(model: model, inputRange: 255, size: size)
            .stylize(original, modelInputs: [StyleBank.weightsInput: Tensor(shape: [4], data: [1, 0, 0, 0])])
        let composed = try FrameConverter().compose(direct, strength: 1, preserveColors: false, chroma: .full)
        let written = folder.appendingPathComponent("direct.png").path
        try StillImageWriter.write(composed, to: written, format: .png)
        let expected = try XCTUnwrap(try MediaReader(path: written).nextVideoFrame())
        XCTAssertTrue(expected.pixelBytes() == photoRow.pixelBytes(), "the job's strength-0 picture is the photo row's")
    }
}
