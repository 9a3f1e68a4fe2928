/// The fused kernels split over a session's threads (ParallelContext): the
/// upsampling convolution by column tiles (each writes its own output rows,
/// with its own scratch), the fused normalization by planes. Same tasks for
/// any thread count, so results do not depend on it. The work is described by
/// small `ParallelWork` structs rather than closures so a frame allocates nothing.
extension UpsampleConvKernel {
    private struct Tiles: ParallelWork {
        let kernel: UpsampleConvKernel
        let inputs: [UnsafePointer<Float>]
        let output: UnsafeMutablePointer<Float>
        let scratch: UnsafeMutablePointer<Float>
        let parallel: ParallelContext

        var taskCount: Int { kernel.tileCount }

        func run(task: Int, thread: Int) {
            kernel.runTile(task, inputs: inputs, output: output, scratch: parallel.scratch(scratch, thread: thread))
        }
    }

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>,
             parallel: ParallelContext) {
        parallel.run(Tiles(kernel: self, inputs: inputs, output: outputs[0], scratch: scratch, parallel: parallel))
    }
}

extension FusedNormalizationKernel {
    private struct Planes: ParallelWork {
        let kernel: FusedNormalizationKernel
        let inputs: [UnsafePointer<Float>]
        let output: UnsafeMutablePointer<Float>

        var taskCount: Int { kernel.base.planes }

        func run(task: Int, thread: Int) {
            kernel.normalize(plane: task, inputs: inputs, output: output)
        }
    }

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>,
             parallel: ParallelContext) {
        parallel.run(Planes(kernel: self, inputs: inputs, output: outputs[0]))
    }
}
