import Foundation

/// Runs a `StyleModel` on images. Not thread-safe: use one session per worker
/// thread (many sessions may run at once, on the same model).
///
/// A session may itself use several threads (`threads:`): its convolutions
/// split their work over a small pool of threads it owns, created once and
/// parked between frames. Frame-level parallelism (several single-threaded
/// sessions) and session threads compose: each session only ever uses its
/// own threads. `BLAS.load()` keeps OpenBLAS itself at one thread.
///
/// Plans are made once per input size and kept, with their buffers, so
/// repeated frames of the same size allocate nothing.
public final class StyleSession {
    public let model: StyleModel
    /// Threads one run uses (the calling thread included).
    public let threads: Int
    /// The arithmetic of its convolutions.
    public let precision: Precision
    private let arithmetic: GEMMArithmetic
    private let pool: WorkerPool?

    /// Extra inputs (style weights, a style vector) are part of the key with their values: each is
    /// folded into its plan, so a frame costs what a network without them costs.
    private struct PlanKey: Hashable {
        let shapes: [[Int]]
        /// nil: the extra inputs are fed at run time.
        let extras: [[Float]]?
    }

    /// A few sizes are kept (a preview and a full-size render, say); the least
    /// recently used plan goes first.
    private static let cachedPlanLimit = 4
    private var workspaces: [(key: PlanKey, workspace: Workspace)] = []
    /// Why runs cannot start (OpenBLAS missing, a precision this CPU lacks), reported by run().
    private let setupError: EngineError?
    /// Bytes the buffers of one input size may take; a model and size that need more are refused,
    /// naming both, before anything is allocated (a damaged or hostile model can ask for terabytes).
    /// Default: this machine's memory.
    public var memoryLimit: Int = StyleSession.physicalMemory

    /// This machine's RAM in bytes (sysconf), or Int.max when it does not say.
    public static let physicalMemory: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && size > 0 ? pages.multipliedReportingOverflow(by: size).partialValue : Int.max
    }()

    /// A session whose runs use `threads` threads (at least 1; 1 runs
    /// everything on the calling thread and starts none) and multiply in `precision`,
    /// which `cpu` must support (`CPUFeatures.supports`; run() reports it if not).
    public convenience init(model: StyleModel, threads: Int = 1, precision: Precision = .fp32, cpu: CPUFeatures = .current) {
        do throws(EngineError) {
            self.init(model: model, threads: threads, arithmetic: try GEMMArithmetic(precision, cpu: cpu), precision: precision)
        } catch {
            self.init(model: model, threads: threads, arithmetic: .fp32, precision: precision, setupError: error)
        }
    }

    init(model: StyleModel, threads: Int = 1, arithmetic: GEMMArithmetic, precision: Precision? = nil,
         setupError: EngineError? = nil) {
        self.model = model
        self.threads = max(1, threads)
        self.arithmetic = arithmetic
        switch arithmetic {
        case .fp32: self.precision = precision ?? .fp32
        case .bf16: self.precision = .bf16
        case .int8: self.precision = .int8
        }
        pool = self.threads > 1 ? WorkerPool(threads: self.threads) : nil
        // Loading early keeps dlopen out of the first frame; a failure is reported by run().
        do throws(EngineError) {
            try BLAS.load()
            self.setupError = setupError
        } catch {
            self.setupError = setupError ?? error
        }
    }

    /// Runs the network on one planar (CHW, channel-major, batch 1) float image with `channels` channels.
    /// Returns the first graph output as planar image; the returned buffer stays valid until the next run() on this session.
    /// `foldExtraInputs`: plan the extra inputs as constants (one plan per value: a frame then costs
    /// what a network without them costs); false feeds them at run time, one plan for every value
    /// (for inputs that change from frame to frame).
    public func run(image: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                    extraInputs: [String: Tensor] = [:], foldExtraInputs: Bool = true) throws(EngineError) -> ImageOutput {
        if let setupError { throw setupError }
        guard channels > 0, height > 0, width > 0 else {
            throw EngineError("invalid image size \(channels)×\(height)×\(width)")
        }
        let imageShape = try imageShape(channels: channels, height: height, width: width)
        var shapes = [imageShape]
        var extras: [Tensor] = []
        for name in model.inputNames.dropFirst() {
            guard let tensor = extraInputs[name] else { throw EngineError("missing model input '\(name)'") }
            guard (try? elementCount(of: tensor.shape)) == tensor.data.count else {
                throw EngineError("input '\(name)' has \(tensor.data.count) values for shape \(tensor.shape)")
            }
            shapes.append(tensor.shape)
            extras.append(tensor)
        }
        for name in extraInputs.keys where !model.inputNames.dropFirst().contains(name) {
            throw EngineError("the model has no input '\(name)' (inputs: \(model.inputNames.joined(separator: ", ")))")
        }

        let workspace = try workspace(for: PlanKey(shapes: shapes, extras: foldExtraInputs ? extras.map(\.data) : nil))
        if let destination = workspace.inputPointer(0) {
            destination.update(from: image, count: channels * height * width)
        }
        if !foldExtraInputs {
            for (index, tensor) in extras.enumerated() {
                guard let destination = workspace.inputPointer(index + 1) else { continue }
                tensor.data.withUnsafeBufferPointer { source in
                    if let base = source.baseAddress { destination.update(from: base, count: source.count) }
                }
            }
        }
        workspace.run()
        return try imageOutput(workspace)
    }

    /// The image as the model's first input wants it: [1, C, H, W] (or [C, H, W]),
    /// checked against the declared channel count.
    private func imageShape(channels: Int, height: Int, width: Int) throws(EngineError) -> [Int] {
        guard let declared = model.imageDeclaration else { return [1, channels, height, width] }
        let channelAxis: Int
        switch declared.count {
        case 4: channelAxis = 1
        case 3: channelAxis = 0
        default: throw EngineError("the model's image input '\(model.inputNames[0])' has rank \(declared.count); expected 3 or 4")
        }
        if case .value(let expected) = declared[channelAxis], expected != Int64(channels) {
            throw EngineError("the model expects \(expected) input channels, got \(channels)")
        }
        return declared.count == 4 ? [1, channels, height, width] : [channels, height, width]
    }

    private func workspace(for key: PlanKey) throws(EngineError) -> Workspace {
        if let index = workspaces.firstIndex(where: { $0.key == key }) {
            let entry = workspaces.remove(at: index)
            workspaces.append(entry)
            return entry.workspace
        }
        let values = key.extras.map { zip(key.shapes.dropFirst(), $0).map { ConstantTensor(shape: $0, floats: $1) } } ?? []
        let plan = try Planner.plan(model.graph, inputShapes: key.shapes, inputValues: [nil] + values, arithmetic: arithmetic)
        let bytes = Workspace.bytes(for: plan, threads: threads)
        guard bytes <= memoryLimit else {
            let size = key.shapes.first.map { $0.map(String.init).joined(separator: "×") } ?? "?"
            throw EngineError("the model needs \(Self.describe(bytes: bytes)) of working memory for a \(size) input; "
                              + "the limit is \(Self.describe(bytes: memoryLimit))")
        }
        let workspace = Workspace(plan: plan, pool: pool)
        if workspaces.count >= Self.cachedPlanLimit { workspaces.removeFirst() }
        workspaces.append((key, workspace))
        return workspace
    }

    public static func describe(bytes: Int) -> String {
        bytes >= 1 << 30 ? String(format: "%.1f GB", Double(bytes) / Double(1 << 30)) : "\((bytes + (1 << 20) - 1) >> 20) MB"
    }

    private func imageOutput(_ workspace: Workspace) throws(EngineError) -> ImageOutput {
        let shape = workspace.plan.outputShape
        let channels: Int
        switch shape.count {
        case 4:
            guard shape[0] == 1 else { throw EngineError("the model output has batch size \(shape[0])") }
            channels = shape[1]
        case 3: channels = shape[0]
        default: throw EngineError("the model output has shape \(shape); expected an image (N, C, H, W)")
        }
        return ImageOutput(pixels: workspace.output, channels: channels, height: shape[shape.count - 2], width: shape[shape.count - 1])
    }

    /// Number of input sizes with a cached plan (for tests).
    var cachedPlanCount: Int { workspaces.count }
}
