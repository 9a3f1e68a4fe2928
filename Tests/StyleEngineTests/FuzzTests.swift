import Foundation
import XCTest
import StyleEngine

/// Corrupted files must throw, never crash: every truncation of a small
/// fixture, and a few thousand seeded byte flips of two others. Whatever still
/// loads is also planned and run on a small image.
final class FuzzTests: XCTestCase {
    private func loadAndRun(_ bytes: [UInt8]) {
        guard let model = try? StyleModel(bytes: bytes) else { return }
        let session = StyleSession(model: model)
        let image = [Float](repeating: 0.5, count: 3 * 6 * 5)
        _ = try? session.run([3, 6, 5], image)
    }

    func testEveryTruncationThrowsOrLoads() throws {
        for name in ["mixed_ops.onnx", "shape_ops.onnx"] {
            let bytes = try Fixtures.bytes(name)
            var failures = 0
            for length in 0..<bytes.count {
                do {
                    _ = try StyleModel(bytes: Array(bytes.prefix(length)))
                } catch {
                    failures += 1
                }
            }
            // Almost every prefix is broken (some cut exactly between fields and stay valid-but-incomplete).
            XCTAssertGreaterThan(failures, bytes.count * 9 / 10, name)
        }
    }

    /// STYLIZE_FUZZ_SCALE=N runs N times as many rounds (with other seeds) for a longer hunt.
    func testRandomByteFlipsThrowOrLoad() throws {
        let scale = Int(ProcessInfo.processInfo.environment["STYLIZE_FUZZ_SCALE"] ?? "") ?? 1
        var random = SeededGenerator(seed: 2024 &+ UInt64(scale))
        let fixtures = [("legacy_opset9.onnx", 1500), ("dynamic_upsample.onnx", 1500), ("mixed_ops.onnx", 500),
                        ("shape_ops.onnx", 500), ("tiny_transformer.onnx", 300)]
        for (name, rounds) in fixtures {
            let original = try Fixtures.bytes(name)
            for _ in 0..<(rounds * max(scale, 1)) {
                var bytes = original
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let position = Int.random(in: 0..<bytes.count, using: &random)
                    bytes[position] = UInt8.random(in: 0...255, using: &random)
                }
                loadAndRun(bytes)
            }
        }
    }

    /// What the fuzzers found, kept: every file in Fixtures/fuzz-regressions loads and runs, or is
    /// refused, within a 2 MB working-memory limit (as the fuzz target runs it). Both are the tiny
    /// transformer with one Pad mutated, each a "hang" under ASan that the limit now refuses:
    /// - pad-458753-columns.onnx: the last Pad reflect-pads 458,753 columns (1.6 s a 5×6 frame in release);
    /// - pad-46849-rows.onnx: the second Pad adds 46,849 rows (0.18 s in release, 28 s under ASan).
    func testFuzzRegressions() throws {
        let folder = Fixtures.url("fuzz-regressions")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(names.count, 2)
        let image = [Float](repeating: 0.5, count: 3 * 6 * 5)
        for name in names {
            let session = StyleSession(model: try StyleModel(bytes: try Fixtures.bytes("fuzz-regressions/" + name)))
            session.memoryLimit = 2 << 20
            XCTAssertThrowsError(try image.withUnsafeBufferPointer { try session.run(image: $0.baseAddress!, channels: 3, height: 6, width: 5) }) {
                XCTAssertTrue("\($0)".contains("of working memory for a 1×3×6×5 input; the limit is 2 MB"), "\(name): \($0)")
            }
        }
    }

    /// A model and size that need more memory than allowed are refused before any allocation, naming both.
    func testMemoryLimitNamesTheSize() throws {
        let session = StyleSession(model: try Fixtures.model("tiny_transformer.onnx"))
        session.memoryLimit = 1 << 20
        let image = [Float](repeating: 0.5, count: 3 * 512 * 512)
        XCTAssertThrowsError(try image.withUnsafeBufferPointer { try session.run(image: $0.baseAddress!, channels: 3, height: 512, width: 512) }) {
            XCTAssertTrue("\($0)".hasPrefix("the model needs "), "\($0)")
            XCTAssertTrue("\($0)".contains("for a 1×3×512×512 input; the limit is 1 MB"), "\($0)")
        }
        session.memoryLimit = StyleSession.physicalMemory
        XCTAssertNoThrow(try image.withUnsafeBufferPointer { try session.run(image: $0.baseAddress!, channels: 3, height: 512, width: 512) })
    }
}
