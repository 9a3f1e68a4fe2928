/// The fused kernels split over a session's threads (ParallelContext): the
/// upsampling convolution by column tiles (each writes its own output rows,
/// with its own scratch), the fused normalization by planes. Same tasks for
/// any thread count, so results do not depend on it.
extension UpsampleConvKernel {
    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>,
             parallel: ParallelContext) {
        parallel.forEach(tileCount) { tile, thread in
            runTile(tile, inputs: inputs, output: outputs[0], scratch: parallel.scratch(scratch, thread: thread))
        }
    }
}

extension FusedNormalizationKernel {
    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>,
             parallel: ParallelContext) {
        parallel.forEach(base.planes) { plane, _ in
            normalize(plane: plane, inputs: inputs, output: outputs[0])
        }
    }
}
