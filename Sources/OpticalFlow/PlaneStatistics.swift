import CKernels

/// Statistics of a whole plane, in one pass (CKernels' `stylize_mean_variance`: float sums in
/// blocks, double across them).
public enum PlaneStatistics {
    /// The mean of `plane` (0 when it is empty).
    public static func mean(_ plane: [Float]) -> Float {
        guard !plane.isEmpty else { return 0 }
        var mean: Float = 0, variance: Float = 0
        plane.withUnsafeBufferPointer { stylize_mean_variance($0.baseAddress!, $0.count, &mean, &variance) }
        return mean
    }

    /// |x − mean| for every value of `plane`, and the mean: `mean` when given, else the plane's.
    public static func absoluteDeviations(_ plane: [Float], from mean: Float? = nil) -> (sizes: [Float], mean: Float) {
        let mean = mean ?? Self.mean(plane)
        var sizes = [Float].uninitialized(plane.count)
        plane.withUnsafeBufferPointer { x in
            sizes.withUnsafeMutableBufferPointer { sizes in for i in sizes.indices { sizes[i] = abs(x[i] - mean) } }
        }
        return (sizes, mean)
    }
}
