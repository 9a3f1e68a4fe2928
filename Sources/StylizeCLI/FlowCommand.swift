import ArgumentParser
import Foundation
import OpticalFlow

/// Developer command: our DIS optical flow on two raw grayscale frames, timed.
/// Used by Benchmarks/flow-vs-opencv.sh to compare against OpenCV's DIS on the same frames.
struct FlowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flow",
        abstract: "Time DIS optical flow between two raw grayscale frames (developer tool).",
        discussion: """
        The frames are raw, headerless, row-major: 8-bit gray (W×H bytes, e.g. a `.gray` \
        file) or little-endian float32 (4·W×H bytes, values 0…255); the size of the file \
        tells which. Both frames' preparation (pyramids, gradients) and the flow are each timed \
        over --runs runs after one warm-up, single-threaded, and the medians are printed. \
        --output writes the flow as raw float32: all of u, then all of v.

          stylize flow a.gray b.gray --size 640x480 --preset medium --runs 5 --output flow.bin
        """
    )

    enum Preset: String, ExpressibleByArgument, CaseIterable {
        case ultrafast, fast, medium
        var settings: DISSettings {
            switch self {
            case .ultrafast: .ultrafast
            case .fast: .fast
            case .medium: .medium
            }
        }
    }

    @Argument(help: ArgumentHelp("The first frame (raw uint8 or float32 gray).", valueName: "A"))
    var first: String

    @Argument(help: ArgumentHelp("The second frame, same size and format.", valueName: "B"))
    var second: String

    @Option(help: ArgumentHelp("Frame size.", valueName: "WxH"))
    var size: String

    @Option(help: ArgumentHelp("DIS preset (OpenCV's): ultrafast, fast or medium.", valueName: "preset"))
    var preset: Preset = .fast

    @Option(help: ArgumentHelp("Timed runs (after one warm-up run).", valueName: "n"))
    var runs: Int = 5

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the flow here: raw float32, u then v.", valueName: "FLOW.bin"))
    var output: String?

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard Self.parseSize(size) != nil else { throw ValidationError("--size must look like 640x480") }
    }

    static func parseSize(_ text: String) -> (width: Int, height: Int)? {
        let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { return nil }
        return (parts[0], parts[1])
    }

    /// Reads a raw frame: W×H bytes = uint8, 4·W×H bytes = float32.
    static func readGray(_ path: String, width: Int, height: Int) throws -> GrayImage {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw exitWithError("cannot read \(path)")
        }
        let n = width * height
        var pixels = [Float](repeating: 0, count: n)
        if data.count == n {
            data.withUnsafeBytes { raw in
                let bytes = raw.bindMemory(to: UInt8.self)
                for i in 0..<n { pixels[i] = Float(bytes[i]) }
            }
        } else if data.count == 4 * n {
            pixels.withUnsafeMutableBytes { dst in _ = data.copyBytes(to: dst) }
        } else {
            throw exitWithError("\(path): \(data.count) bytes is neither \(width)×\(height) uint8 (\(n)) nor float32 (\(4 * n))")
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    static func milliseconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    func run() throws {
        let (w, h) = Self.parseSize(size)!
        let a = try Self.readGray(first, width: w, height: h)
        let b = try Self.readGray(second, width: w, height: h)
        let settings = preset.settings

        // Preparation (pyramids and gradients of both frames) timed like the flow: median of the runs.
        var f0 = FlowFrame(a, for: settings), f1 = FlowFrame(b, for: settings)
        var prepTimes: [Double] = []
        for _ in 0..<runs {
            prepTimes.append(Self.milliseconds {
                f0 = FlowFrame(a, for: settings)
                f1 = FlowFrame(b, for: settings)
            })
        }
        let prepMs = Self.median(prepTimes)
        var flow = OpticalFlow.dis(from: f0, to: f1, settings: settings)  // warm-up
        var times: [Double] = []
        for _ in 0..<runs {
            times.append(Self.milliseconds { flow = OpticalFlow.dis(from: f0, to: f1, settings: settings) })
        }
        let ms = Self.median(times)
        print("flow \(w)x\(h) \(preset.rawValue): " + String(format: "%.2f ms (median of %d), frame prep %.2f ms for both frames",
                                                            ms, runs, prepMs))

        if let output {
            var bytes = Data(capacity: 8 * w * h)
            flow.u.withUnsafeBytes { bytes.append(contentsOf: $0) }
            flow.v.withUnsafeBytes { bytes.append(contentsOf: $0) }
            guard FileManager.default.createFile(atPath: output, contents: bytes) else {
                throw exitWithError("cannot write \(output)")
            }
        }
    }
}
