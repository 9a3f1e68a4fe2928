/// Everything needed to run a graph for one set of input shapes: the kernels
/// in order, where each reads and writes, and how big each buffer is. Built
/// once per input size by `Planner`; immutable afterwards.
struct ExecutionPlan {
    /// Where a kernel input lives: a workspace buffer, or constant data (weights, folded values).
    enum Source {
        case buffer(Int)
        case constant(TensorStorage<Float>)
    }

    struct Step {
        let label: String
        let kernel: any Kernel
        let inputs: [Source]
        let outputs: [Int]  // buffer indices
    }

    enum Output {
        case buffer(Int)
        case constant(TensorStorage<Float>)
    }

    let steps: [Step]
    /// Float capacity of each workspace buffer (buffers are reused by values whose lifetimes do not overlap).
    let bufferCapacities: [Int]
    let scratchCount: Int
    /// For each graph input (model order): its buffer and element count, or nil if the graph never reads it.
    let inputBuffers: [(buffer: Int, count: Int)?]
    let output: Output
    let outputShape: [Int]
}

/// The memory one plan runs in: its buffers, allocated once, and the steps
/// bound to them. Reused for every frame of that size; owned by one session.
/// Scratch holds one region of `plan.scratchCount` floats per thread.
final class Workspace {
    let plan: ExecutionPlan
    private let buffers: [UnsafeMutablePointer<Float>]
    private let scratch: UnsafeMutablePointer<Float>
    private let parallel: ParallelContext
    private let boundSteps: [(kernel: any Kernel, inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>])]

    /// What `init` will allocate for `plan` with `threads` threads, in bytes (saturating).
    static func bytes(for plan: ExecutionPlan, threads: Int) -> Int {
        let scratchStride = (plan.scratchCount + 15) / 16 * 16
        var floats = 0
        for count in plan.bufferCapacities + [scratchStride.multipliedReportingOverflow(by: threads).partialValue] {
            let (sum, overflow) = floats.addingReportingOverflow(max(count, 16))
            if overflow { return Int.max }
            floats = sum
        }
        let (bytes, overflow) = floats.multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        return overflow ? Int.max : bytes
    }

    init(plan: ExecutionPlan, pool: WorkerPool? = nil) {
        self.plan = plan
        let buffers = plan.bufferCapacities.map { WorkspaceMemory.allocate(floats: $0) }
        self.buffers = buffers
        // Per-thread regions start on a cache line of their own.
        let scratchStride = (plan.scratchCount + 15) / 16 * 16
        parallel = ParallelContext(pool: pool, scratchStride: scratchStride)
        scratch = WorkspaceMemory.allocate(floats: scratchStride * parallel.threadCount)
        boundSteps = plan.steps.map { step in
            let inputs = step.inputs.map { source -> UnsafePointer<Float> in
                switch source {
                case .buffer(let index): UnsafePointer(buffers[index])
                case .constant(let storage): UnsafePointer(storage.pointer)
                }
            }
            return (step.kernel, inputs, step.outputs.map { buffers[$0] })
        }
    }

    deinit {
        for buffer in buffers { WorkspaceMemory.release(buffer) }
        WorkspaceMemory.release(scratch)
    }

    /// Where graph input `index` must be copied before `run()`, or nil if unused.
    func inputPointer(_ index: Int) -> UnsafeMutablePointer<Float>? {
        plan.inputBuffers[index].map { buffers[$0.buffer] }
    }

    func run() {
        for step in boundSteps {
            step.kernel.run(inputs: step.inputs, outputs: step.outputs, scratch: scratch, parallel: parallel)
        }
    }

    var output: UnsafeBufferPointer<Float> {
        let count = plan.outputShape.reduce(1, *)
        switch plan.output {
        case .buffer(let index): return UnsafeBufferPointer(start: buffers[index], count: count)
        case .constant(let storage): return UnsafeBufferPointer(start: storage.pointer, count: count)
        }
    }
}
