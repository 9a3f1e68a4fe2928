import Foundation
import XCTest
@testable import StyleEngine

/// The loss network's forward and backward passes and Gatys et al.'s objective, on a narrow
/// network of VGG16's shape (Fixtures/LossNetwork, made by Training/make_loss_fixture.py) whose
/// loss and gradient PyTorch computed in double precision.
final class LossNetworkTests: XCTestCase {
    struct Picture: Decodable {
        let width: Int
        let height: Int
        let pixels: [Float]
    }

    struct Reference: Decodable {
        let contentWeight: Float
        let styleWeight: Float
        let photo: Picture
        let painting: Picture
        let start: [Float]
        let content: Double
        let style: Double
        let gradient: [Double]
    }

    func load(network path: String = Fixtures.url("LossNetwork/narrow-vgg16.onnx").path,
              reference name: String = "gatys-gradient.json") throws -> (LossNetwork, Reference, StyleObjective) {
        let network = try LossNetwork(contentsOf: path)
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("LossNetwork/\(name)")))
        let grams = try reference.painting.pixels.withUnsafeBufferPointer {
            try StyleObjective.grams(of: $0.baseAddress!, width: reference.painting.width, height: reference.painting.height,
                                     network: network)
        }
        let objective = try reference.photo.pixels.withUnsafeBufferPointer {
            try StyleObjective(network: network, width: reference.photo.width, height: reference.photo.height,
                               content: $0.baseAddress!, style: grams,
                               weights: .init(content: reference.contentWeight, style: reference.styleWeight), threads: 2)
        }
        return (network, reference, objective)
    }

    func evaluate(_ objective: StyleObjective, _ x: [Float]) -> (StyleObjective.Loss, [Float]) {
        var gradient = [Float](repeating: .nan, count: x.count)
        let loss = x.withUnsafeBufferPointer { p in
            gradient.withUnsafeMutableBufferPointer { objective.evaluate(p.baseAddress!, gradient: $0.baseAddress!) }
        }
        return (loss, gradient)
    }

    func testLossAndGradientMatchPyTorchInDoublePrecision() throws {
        try checkAgainstPyTorch(try load())
    }

    /// The same with VGG16's own weights, where `scripts/fetch-loss-network.sh` installed them
    /// (the fixture holds only numbers PyTorch computed with them, at 32×40).
    func testLossAndGradientMatchPyTorchOnVGG16() throws {
        let environment = ProcessInfo.processInfo.environment
        let path = environment["XDG_DATA_HOME"].map { $0 + "/stylize/models/vgg16.onnx" }
            ?? (environment["HOME"] ?? "") + "/.local/share/stylize/models/vgg16.onnx"
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("the loss network is not installed (\(path)); scripts/fetch-loss-network.sh installs it")
        }
        try checkAgainstPyTorch(try load(network: path, reference: "gatys-gradient-vgg16.json"))
    }

    func checkAgainstPyTorch(_ loaded: (LossNetwork, Reference, StyleObjective)) throws {
        let (_, reference, objective) = loaded
        let (loss, gradient) = evaluate(objective, reference.start)
        XCTAssertEqual(loss.content, reference.content, accuracy: 1e-4 * reference.content)
        XCTAssertEqual(loss.style, reference.style, accuracy: 1e-4 * reference.style)
        var difference = 0.0, norm = 0.0
        for (ours, theirs) in zip(gradient, reference.gradient) {
            difference += (Double(ours) - theirs) * (Double(ours) - theirs)
            norm += theirs * theirs
        }
        XCTAssertGreaterThan(norm, 0)
        let relative = (difference / norm).squareRoot()
        XCTAssertLessThanOrEqual(relative, 1e-4, "relative error of the gradient: \(relative)")
        print("gradient vs PyTorch: relative error \(relative); content \(loss.content / reference.content - 1), style \(loss.style / reference.style - 1)")
    }

    /// Central differences agree with the gradient. The loss is computed in single precision, so
    /// a probe must move the loss well above its rounding, and the step must stay small enough that
    /// few ReLUs change sides (that bends the loss: −1.5% at a step of 0.5, −0.2% at 0.05).
    /// Random probes that follow the gradient's signs (each pixel a random share of ±1) move it by
    /// ~1400 per unit: at a step of 0.02 (of 0…255) the error was 2e-5 … 3e-4. Single pixels move it
    /// by 20–80, where rounding allows only about 1e-2; they are checked to that.
    func testGradientMatchesCentralDifferences() throws {
        let (_, reference, objective) = try load()
        let x = reference.start
        let (_, gradient) = evaluate(objective, x)
        func relativeError(_ probe: [Float], step: Float) -> Double {
            let plus = zip(x, probe).map { $0 + step * $1 }, minus = zip(x, probe).map { $0 - step * $1 }
            let numeric = (evaluate(objective, plus).0.total - evaluate(objective, minus).0.total) / Double(2 * step)
            let analytic = zip(gradient, probe).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            return abs(numeric - analytic) / abs(analytic)
        }
        var generator = SeededGenerator(seed: 18)
        let random = (0..<6).map { _ in
            relativeError(gradient.map { ($0 < 0 ? -1 : 1) * Float.random(in: 0...1, using: &generator) }, step: 0.02)
        }
        let pixels = gradient.indices.sorted { abs(gradient[$0]) > abs(gradient[$1]) }.prefix(3).map { index in
            var probe = [Float](repeating: 0, count: x.count)
            probe[index] = 1
            return relativeError(probe, step: 0.05)
        }
        print("central differences: random probes worst \(random.max()!), single pixels worst \(pixels.max()!)")
        XCTAssertLessThanOrEqual(random.max()!, 1e-3, "\(random)")
        XCTAssertLessThanOrEqual(pixels.max()!, 2e-2, "\(pixels)")
    }

    /// Ruder et al.'s temporal term: its value is weight · mean(c · (x − ω)²), its gradient adds
    /// 2 · weight · c · (x − ω) / D to the rest (checked against the objective without it), and a
    /// zero confidence or no term changes nothing.
    func testTheTemporalTermAddsItsValueAndGradient() throws {
        let (_, reference, objective) = try load()
        let x = reference.start
        let (plain, plainGradient) = evaluate(objective, x)
        var generator = SeededGenerator(seed: 8)
        let area = reference.photo.width * reference.photo.height
        let target = x.map { $0 + Float.random(in: -20...20, using: &generator) }
        let confidence = (0..<area).map { _ in Float.random(in: 0...1, using: &generator) }
        objective.setTemporal((target, confidence, 0.5))
        let (withTerm, gradient) = evaluate(objective, x)
        var expected = 0.0
        for i in x.indices { expected += Double(confidence[i % area]) * Double(x[i] - target[i]) * Double(x[i] - target[i]) }
        expected *= 0.5 / Double(x.count)
        XCTAssertEqual(withTerm.temporal, expected, accuracy: 1e-5 * expected)
        XCTAssertEqual(withTerm.style, plain.style)
        XCTAssertEqual(withTerm.total, plain.total + expected, accuracy: 1e-5 * withTerm.total)
        for i in stride(from: 0, to: x.count, by: 37) {
            let term = 2 * 0.5 * confidence[i % area] * (x[i] - target[i]) / Float(x.count)
            XCTAssertEqual(gradient[i] - plainGradient[i], term, accuracy: 1e-4 * max(abs(term), abs(gradient[i])) + 1e-9)
        }
        objective.setTemporal((target, [Float](repeating: 0, count: area), 0.5))
        XCTAssertEqual(evaluate(objective, x).0.total, plain.total)
        objective.setTemporal(nil)
        XCTAssertEqual(evaluate(objective, x).1, plainGradient)
    }

    /// A new frame's content replaces the old: at the new photo with no style, the loss is zero.
    func testSetContentMovesTheContentTarget() throws {
        let (network, reference, _) = try load()
        let objective = try reference.start.withUnsafeBufferPointer {
            try StyleObjective(network: network, width: reference.photo.width, height: reference.photo.height,
                               content: $0.baseAddress!, style: [:], weights: .init(content: 1, style: 0))
        }
        XCTAssertGreaterThan(evaluate(objective, reference.photo.pixels).0.content, 0)
        reference.photo.pixels.withUnsafeBufferPointer { objective.setContent($0.baseAddress!) }
        XCTAssertEqual(evaluate(objective, reference.photo.pixels).0.content, 0)
    }

    func testAStyleWeightOfZeroLeavesOnlyTheContentTermAndAPhotoStartHasNone() throws {
        let (network, reference, _) = try load()
        let objective = try reference.photo.pixels.withUnsafeBufferPointer {
            try StyleObjective(network: network, width: reference.photo.width, height: reference.photo.height,
                               content: $0.baseAddress!, style: [:], weights: .init(content: 1, style: 0))
        }
        let (atPhoto, gradient) = evaluate(objective, reference.photo.pixels)
        XCTAssertEqual(atPhoto.total, 0)
        XCTAssertEqual(gradient.map(abs).max(), 0)
        XCTAssertGreaterThan(evaluate(objective, reference.start).0.content, 0)
    }

    func testAMissingGramMatrixAndATinyPictureAreErrors() throws {
        let (network, reference, _) = try load()
        XCTAssertThrowsError(try StyleObjective(network: network, width: 16, height: 16, content: nil, style: [:],
                                                weights: .init(content: 0, style: 1)))
        XCTAssertThrowsError(try LossNetworkSession(network: network, width: 4, height: 16))
        _ = reference
    }

    func testAFileWithoutTheKernelsNamesWhatIsMissing() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("not-vgg-\(getpid()).onnx").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Fixtures.bytes("tiny_transformer.onnx").withUnsafeBufferPointer { try Data($0).write(to: URL(fileURLWithPath: path)) }
        XCTAssertThrowsError(try LossNetwork(contentsOf: path)) { error in
            let message = (error as? EngineError)?.message ?? ""
            XCTAssertTrue(message.contains(path) && message.contains("block1_conv1"), message)
        }
    }

    // MARK: L-BFGS

    /// Rosenbrock's valley in 6 dimensions: a classic test of quasi-Newton methods.
    func rosenbrock(_ x: UnsafePointer<Float>, _ g: UnsafeMutablePointer<Float>, count: Int) -> Double {
        var value = 0.0
        for i in 0..<count { g[i] = 0 }
        for i in 0..<(count - 1) {
            let a = Double(x[i]), b = Double(x[i + 1])
            value += 100 * (b - a * a) * (b - a * a) + (1 - a) * (1 - a)
            g[i] += Float(-400 * a * (b - a * a) - 2 * (1 - a))
            g[i + 1] += Float(200 * (b - a * a))
        }
        return value
    }

    func testLBFGSFindsRosenbrocksMinimum() {
        var x: [Float] = [-1.2, 1, -1.2, 1, -1.2, 1]
        var optimizer = LBFGS()
        optimizer.maxIterations = 200
        optimizer.history = 5
        let result = optimizer.minimize(&x) { rosenbrock($0, $1, count: 6) }
        XCTAssertLessThan(result.loss, 1e-6, "\(result)")
        for value in x { XCTAssertEqual(value, 1, accuracy: 1e-2) }
        XCTAssertLessThan(result.iterations, 200)
    }

    func testLBFGSStopsWhenAskedAndKeepsTheBestPoint() {
        var x: [Float] = [-1.2, 1, -1.2, 1]
        var optimizer = LBFGS()
        optimizer.maxIterations = 100
        var seen: [Double] = []
        let result = optimizer.minimize(&x, { rosenbrock($0, $1, count: 4) }) { progress in
            seen.append(progress.loss)
            return progress.iteration < 3
        }
        XCTAssertEqual(result.stop, .cancelled)
        XCTAssertEqual(result.iterations, 3)
        var g = [Float](repeating: 0, count: 4)
        XCTAssertEqual(rosenbrock(x, &g, count: 4), result.loss, accuracy: 1e-9)
        XCTAssertEqual(result.loss, seen.min()!, accuracy: 1e-9)
        XCTAssertLessThan(result.loss, 532.4)   // the start's value
    }

    func testLBFGSStopsOnARelativeLossChange() {
        var x: [Float] = [-1.2, 1, -1.2, 1]
        var optimizer = LBFGS()
        optimizer.maxIterations = 1000
        optimizer.relativeTolerance = 1e-2
        let result = optimizer.minimize(&x) { rosenbrock($0, $1, count: 4) }
        XCTAssertEqual(result.stop, .converged)
        XCTAssertLessThan(result.iterations, 1000)
    }
}
