extension Duration {
    /// The duration in seconds, for reports and timeouts.
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
