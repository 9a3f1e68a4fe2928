import COpenBLAS

/// The Gram matrix of a feature map F (C channels × N pixels), G = F Fᵀ / (C·N): which features
/// occur together, wherever they are — what Gatys et al.'s style loss compares. And its backward
/// pass. Both are matrix products through OpenBLAS, split over the session's threads.
enum GramMatrix {
    /// G (C × C) of `features` (C × N).
    static func compute(_ features: UnsafePointer<Float>, channels: Int, pixels: Int,
                        into gram: UnsafeMutablePointer<Float>, parallel: ParallelContext) {
        let rowsPerTask = max(1, (channels + 7) / 8)
        let tasks = (channels + rowsPerTask - 1) / rowsPerTask
        let scale = 1 / Float(channels * pixels)
        parallel.forEach(tasks) { task, _ in
            let first = task * rowsPerTask, rows = min(rowsPerTask, channels - first)
            // G[first ..< first + rows, :] = F[first ..< first + rows, :] · Fᵀ
            stylize_sgemm(Int32(STYLIZE_BLAS_ROW_MAJOR), Int32(STYLIZE_BLAS_NO_TRANS), Int32(STYLIZE_BLAS_TRANS),
                          Int32(rows), Int32(channels), Int32(pixels), scale,
                          features + first * pixels, Int32(pixels), features, Int32(pixels),
                          0, gram + first * channels, Int32(channels))
        }
    }

    /// gradient += scale · D · F, with D (C × C) = ∂loss/∂G made symmetric by the caller:
    /// for a loss of G, ∂loss/∂F = (∂loss/∂G + ∂loss/∂Gᵀ) F / (C·N), folded into `scale`.
    static func backward(_ difference: UnsafePointer<Float>, features: UnsafePointer<Float>, channels: Int, pixels: Int,
                         scale: Float, adding gradient: UnsafeMutablePointer<Float>, parallel: ParallelContext) {
        let columnsPerTask = 4096
        let tasks = (pixels + columnsPerTask - 1) / columnsPerTask
        parallel.forEach(tasks) { task, _ in
            let first = task * columnsPerTask, columns = min(columnsPerTask, pixels - first)
            stylize_sgemm(Int32(STYLIZE_BLAS_ROW_MAJOR), Int32(STYLIZE_BLAS_NO_TRANS), Int32(STYLIZE_BLAS_NO_TRANS),
                          Int32(channels), Int32(columns), Int32(channels), scale,
                          difference, Int32(channels), features + first, Int32(pixels),
                          1, gradient + first, Int32(pixels))
        }
    }
}
