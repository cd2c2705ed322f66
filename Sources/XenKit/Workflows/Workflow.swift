// What every workflow machine answers, and the one loop that drives it. A machine (save,
// restore and create, both ends of a migration, a shutdown action) is pure: told how a step
// went, it names the next step or the end. Its driver does each step's one call and feeds
// the result back, here.

/// A workflow machine's answer: the next step to perform, or how the workflow ended.
enum WorkflowNext<Step: Equatable & Sendable, Outcome: Equatable & Sendable>: Equatable, Sendable {
    case perform(Step)
    case finish(Outcome)
}

/// Runs a workflow from its first answer to its end: `step` performs one step and returns
/// the machine's next answer.
func driveWorkflow<Step, Outcome>(from first: WorkflowNext<Step, Outcome>,
                                  _ step: (Step) -> WorkflowNext<Step, Outcome>) -> Outcome {
    var next = first
    while true {
        switch next {
        case .finish(let outcome): return outcome
        case .perform(let current): next = step(current)
        }
    }
}
