import Foundation
import XCTest
@testable import StyleEngine

// MARK: Random numbers

typealias SeededGenerator = SplitMix64

extension SeededGenerator {
    mutating func floats(_ count: Int, in range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<count).map { _ in Float.random(in: range, using: &self) }
    }
}

// MARK: A plain tensor for references

/// Row-major tensor of doubles used by the naive reference implementations.
struct RefTensor {
    var shape: [Int]
    var data: [Double]

    init(shape: [Int], data: [Double]) {
        precondition(shape.reduce(1, *) == data.count, "test bug: \(data.count) values for \(shape)")
        self.shape = shape
        self.data = data
    }

    init(shape: [Int], floats: [Float]) {
        self.init(shape: shape, data: floats.map(Double.init))
    }

    init(shape: [Int], repeating value: Double) {
        self.init(shape: shape, data: [Double](repeating: value, count: shape.reduce(1, *)))
    }

    var floats: [Float] { data.map(Float.init) }
    var count: Int { data.count }

    /// Linear index of a multi-index.
    func offset(_ index: [Int]) -> Int {
        var offset = 0
        for (i, extent) in zip(index, shape) { offset = offset * extent + i }
        return offset
    }

    /// Multi-index of a linear index: the inverse of `offset`.
    func multiIndex(_ offset: Int) -> [Int] {
        var rest = offset
        var index = [Int](repeating: 0, count: shape.count)
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return index
    }

    subscript(_ index: Int...) -> Double {
        get { data[offset(index)] }
        set { data[offset(index)] = newValue }
    }
}

// MARK: Comparing

/// Fails unless shapes match and every element is within `tolerance` relative
/// to the reference's scale: |a − e| ≤ tolerance · (1 + |e|).
func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-4, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("\(message): \(actual.count) values, expected \(expected.count)", file: file, line: line)
        return
    }
    var worst = (index: -1, error: Float(0))
    for i in 0..<actual.count {
        let error = abs(actual[i] - expected[i]) / (1 + abs(expected[i]))
        if !(error <= worst.error) { worst = (i, error.isNaN ? .infinity : error) }
    }
    if worst.error > tolerance {
        XCTFail("\(message): element \(worst.index) is \(actual[worst.index]), expected \(expected[worst.index])",
                file: file, line: line)
    }
}

// MARK: Running models

struct ImageResult: Equatable {
    var shape: [Int]  // [C, H, W]
    var data: [Float]
}

extension StyleSession {
    /// Runs on an image given as [C, H, W] + data and copies the output out.
    func run(_ shape: [Int], _ data: [Float], extraInputs: [String: Tensor] = [:],
             foldExtraInputs: Bool = true) throws(EngineError) -> ImageResult {
        precondition(shape.count == 3 && shape.reduce(1, *) == data.count, "test bug")
        var result: ImageResult?
        var failure: EngineError?
        data.withUnsafeBufferPointer { pointer in
            do throws(EngineError) {
                let output = try run(image: pointer.baseAddress!, channels: shape[0], height: shape[1], width: shape[2],
                                     extraInputs: extraInputs, foldExtraInputs: foldExtraInputs)
                result = ImageResult(shape: [output.channels, output.height, output.width], data: Array(output.pixels))
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return result!
    }
}

/// Asserts that `body` throws an EngineError whose message contains every fragment.
func assertEngineError<T>(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
                          _ body: () throws(EngineError) -> T) {
    do throws(EngineError) {
        _ = try body()
        XCTFail("expected an error mentioning \(fragments)", file: file, line: line)
    } catch {
        for fragment in fragments where !error.message.contains(fragment) {
            XCTFail("error '\(error.message)' does not mention '\(fragment)'", file: file, line: line)
        }
    }
}

// MARK: Fixtures

enum Fixtures {
    static func url(_ name: String) -> URL {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")
            ?? Bundle.module.bundleURL.appendingPathComponent("Fixtures/\(name)")
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(name)))
    }

    static func model(_ name: String) throws -> StyleModel {
        try StyleModel(contentsOf: url(name).path)
    }

    /// NAME.expected from Tools/onnx/make_expected.py: ONNX Runtime's output for a fixed input.
    static func expected(_ name: String) throws -> (input: RefTensor, output: RefTensor) {
        let bytes = try self.bytes("\(name).expected")
        var position = 4
        XCTAssertEqual(Array(bytes[0..<4]), Array("STYX".utf8))
        func uint32() -> Int {
            defer { position += 4 }
            return Int(bytes[position]) | Int(bytes[position + 1]) << 8 | Int(bytes[position + 2]) << 16 | Int(bytes[position + 3]) << 24
        }
        func block() -> RefTensor {
            let rank = uint32()
            let shape = (0..<rank).map { _ in uint32() }
            let data = (0..<shape.reduce(1, *)).map { _ in Double(Float(bitPattern: UInt32(uint32()))) }
            return RefTensor(shape: shape, data: data)
        }
        let input = block()
        return (input, block())
    }
}
