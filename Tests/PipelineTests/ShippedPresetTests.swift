import Foundation
import XCTest
import MediaIO
import PresetCatalog
import StyleEngine
@testable import Pipeline

/// Every trained preset in `Presets/`, every variant: it loads in our engine, runs on a small
/// photo, changes it, and moves its colours towards the painting's (`style.jpg`).
final class ShippedPresetTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Per-channel mean and standard deviation of planar RGB 0…255.
    struct ColourStatistics: CustomStringConvertible {
        var mean: [Double] = [], deviation: [Double] = []

        init(planar rgb: [Float]) {
            let n = rgb.count / 3
            for c in 0..<3 {
                let plane = rgb[(c * n)..<((c + 1) * n)]
                let m = plane.reduce(0.0) { $0 + Double($1) } / Double(n)
                let v = plane.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(n)
                mean.append(m)
                deviation.append(v.squareRoot())
            }
        }

        /// L1 distance over the six numbers.
        func distance(to other: ColourStatistics) -> Double {
            (0..<3).reduce(0.0) { $0 + abs(mean[$1] - other.mean[$1]) + abs(deviation[$1] - other.deviation[$1]) }
        }

        var description: String {
            "mean \(mean.map { Int($0.rounded()) }) sd \(deviation.map { Int($0.rounded()) })"
        }
    }

    /// An image file at `width`×`height`, planar RGB 0…255.
    func load(_ path: String, width: Int, height: Int) throws -> [Float] {
        let reader = try MediaReader(path: path)
        guard let frame = try reader.nextVideoFrame() else { throw PipelineError(.input, "\(path) has no picture") }
        var rgb = [Float](repeating: 0, count: 3 * width * height)
        try rgb.withUnsafeMutableBufferPointer {
            try FrameConverter().planarRGB(from: frame, width: width, height: height, into: $0.baseAddress!)
        }
        return rgb
    }

    func testEveryTrainedPresetLoadsRunsAndTakesThePaintingsColours() throws {
        let catalog = PresetCatalog(searchPaths: [Self.repository.appendingPathComponent("Presets").path])
        let trained = catalog.all().filter { !$0.isPlaceholder }
        try XCTSkipIf(trained.isEmpty, "no trained presets in Presets/ yet")
        try BLAS.load()
        // Held-out stills (not training photos), side by side as one input.
        let stills = Self.repository.appendingPathComponent("Tests/PipelineTests/Fixtures/stills")
        let (w, h) = (128, 96)
        let parts = try ["astronaut.jpg", "coffee.jpg"].map { try load(stills.appendingPathComponent($0).path, width: w, height: h) }
        let input = (0..<3).flatMap { c in parts.flatMap { $0[(c * w * h)..<((c + 1) * w * h)] } }   // stacked vertically
        let inputColours = ColourStatistics(planar: input)
        for preset in trained {
            let painting = URL(fileURLWithPath: preset.directory).appendingPathComponent("style.jpg").path
            XCTAssertTrue(FileManager.default.fileExists(atPath: painting), "\(preset.name) has no style.jpg")
            let paintingColours = ColourStatistics(planar: try load(painting, width: 128, height: 128))
            XCTAssertFalse(preset.models.isEmpty)
            // A style bank row at its default strength and at its boldest; a plain network as it is.
            let runs = preset.models.keys.sorted { $0.rawValue < $1.rawValue }.flatMap { variant in
                let settings = StyleSettings(preset: preset, variant: variant)
                return (settings.look == nil ? [settings.strength] : [settings.strength, 1]).map { (variant, settings, $0) }
            }
            for (variant, settings, strength) in runs {
                let model = try StyleModel(contentsOf: preset.modelPath(for: variant))
                let session = StyleSession(model: model, threads: 1)
                let scaled = input.map { $0 * preset.inputRange / 255 }
                let result = try scaled.withUnsafeBufferPointer {
                    try session.run(image: $0.baseAddress!, channels: 3, height: 2 * h, width: w,
                                    extraInputs: settings.modelInputs(strength: strength))
                }
                XCTAssertEqual([result.channels, result.height, result.width], [3, 2 * h, w], "\(preset.name) \(variant) \(strength)")
                let output = result.pixels.map { min(max($0 * 255 / preset.inputRange, 0), 255) }
                let change = zip(output, input).reduce(0.0) { $0 + Double(abs($1.0 - $1.1)) } / Double(input.count)
                let outputColours = ColourStatistics(planar: output)
                print("\(preset.name) \(variant) at \(strength): mean change \(change); input \(inputColours), output \(outputColours), "
                      + "painting \(paintingColours)")
                XCTAssertGreaterThan(change, 8, "\(preset.name) \(variant) at \(strength) barely changes the picture")
                XCTAssertLessThan(outputColours.distance(to: paintingColours), inputColours.distance(to: paintingColours),
                                  "\(preset.name) \(variant) at \(strength): the output's colours are not nearer the painting's")
            }
        }
    }
}
