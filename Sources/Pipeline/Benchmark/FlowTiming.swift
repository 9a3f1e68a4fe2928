import Foundation
import OpticalFlow

/// Our DIS optical flow on two raw grayscale frames, timed (a developer tool: compared with
/// OpenCV's DIS on the same frames by Benchmarks/flow-vs-opencv.sh).
public struct FlowTiming: Sendable {
    /// OpenCV's DIS presets.
    public enum Preset: String, Sendable, CaseIterable {
        case ultrafast, fast, medium
        var settings: DISSettings {
            switch self {
            case .ultrafast: .ultrafast
            case .fast: .fast
            case .medium: .medium
            }
        }
    }

    public struct Result: Sendable {
        /// Medians over the runs, milliseconds.
        public let flowMilliseconds: Double
        /// Both frames' pyramids and gradients.
        public let preparationMilliseconds: Double
        /// u then v, row-major, `width × height` each.
        public let u: [Float], v: [Float]
    }

    public let width: Int, height: Int
    public let preset: Preset
    /// With the patch distance the temporal blend's flows use, which particles do not drag
    /// (`TemporalSettings.flow.trimmedDistance`) instead of OpenCV's plain SSD.
    public let trimmed: Bool

    public init(width: Int, height: Int, preset: Preset, trimmed: Bool = false) {
        self.width = width
        self.height = height
        self.preset = preset
        self.trimmed = trimmed
    }

    /// Reads a raw frame: W×H bytes = uint8, 4·W×H bytes = float32 (0…255).
    public func readFrame(_ path: String) throws(PipelineError) -> [Float] {
        guard let data = FileManager.default.contents(atPath: path) else { throw PipelineError(.input, "cannot read \(path)") }
        let n = width * height
        var pixels = [Float](repeating: 0, count: n)
        if data.count == n {
            data.withUnsafeBytes { raw in for i in 0..<n { pixels[i] = Float(raw[i]) } }
        } else if data.count == 4 * n {
            pixels.withUnsafeMutableBytes { dst in _ = data.copyBytes(to: dst) }
        } else {
            throw PipelineError(.input, "\(path): \(data.count) bytes is neither \(width)×\(height) uint8 (\(n)) nor float32 (\(4 * n))")
        }
        return pixels
    }

    /// Times preparation and flow over `runs` runs each (after one warm-up flow), single-threaded.
    public func run(from first: [Float], to second: [Float], runs: Int) -> Result {
        var settings = preset.settings
        if trimmed {
            let temporal = TemporalSettings().flow
            (settings.trimmedDistance, settings.particleTest) = (temporal.trimmedDistance, temporal.particleTest)
        }
        let a = GrayImage(width: width, height: height, pixels: first), b = GrayImage(width: width, height: height, pixels: second)
        var f0 = FlowFrame(a, for: settings), f1 = FlowFrame(b, for: settings)
        let preparation = (0..<max(runs, 1)).map { _ in
            milliseconds { f0 = FlowFrame(a, for: settings); f1 = FlowFrame(b, for: settings) }
        }
        var flow = OpticalFlow.dis(from: f0, to: f1, settings: settings)   // warm-up
        let times = (0..<max(runs, 1)).map { _ in milliseconds { flow = OpticalFlow.dis(from: f0, to: f1, settings: settings) } }
        return Result(flowMilliseconds: median(times), preparationMilliseconds: median(preparation), u: flow.u, v: flow.v)
    }

    private func milliseconds(_ body: () -> Void) -> Double {
        let start = monotonicSeconds()
        body()
        return (monotonicSeconds() - start) * 1000
    }
}
