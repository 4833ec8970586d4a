import EchoPluginAPI

/// Makes a counterexample as small as it gets while the check still fails: whole sub-rooms
/// dropped, then seats, then publishing, reservations, listen-only flags and the preference.
struct Shrinker {
    let conformance: StrategyConformance
    let check: Check
    /// Candidates tried at most, so a slow module cannot make shrinking run for long.
    var budget = 3_000

    func shrink(_ failing: Case) -> Case {
        var current = failing
        var tries = 0
        func keep(_ candidate: Case) -> Bool {
            guard tries < budget else { return false }
            tries += 1
            guard check.problem(conformance, candidate) != nil else { return false }
            current = candidate
            return true
        }
        var progress = true
        while progress && tries < budget {
            progress = false
            for index in current.input.snapshot.subrooms.map(\.index).reversed() {
                progress = keep(current.editing { $0.subrooms.removeAll { $0.index == index } }) || progress
            }
            for position in current.input.snapshot.subrooms.indices.reversed() {
                var chunk = max(1, current.input.snapshot.subrooms[position].seats.count / 2)
                while chunk >= 1 && position < current.input.snapshot.subrooms.count {
                    let seats = current.input.snapshot.subrooms[position].seats.count
                    if seats >= chunk, keep(current.editing { $0.subrooms[position].seats.removeLast(chunk) }) {
                        progress = true
                    } else {
                        chunk /= 2
                    }
                }
            }
            for position in current.input.snapshot.subrooms.indices {
                for seat in current.input.snapshot.subrooms[position].seats.indices {
                    let original = current.input.snapshot.subrooms[position].seats[seat]
                    let plain = SubroomSeat(userID: original.userID, state: .joined)
                    if original != plain, keep(current.editing { $0.subrooms[position].seats[seat] = plain }) { progress = true }
                }
            }
            if current.input.request.preferredIndex != nil {
                progress = keep(current.editingRequest { $0.preferredIndex = nil }) || progress
            }
            if current.input.request.isListenOnly {
                progress = keep(current.editingRequest { $0.isListenOnly = false }) || progress
            }
        }
        return current
    }
}

extension Case {
    func editing(_ change: (inout SubroomSnapshot) -> Void) -> Case {
        var copy = self
        var snapshot = copy.input.snapshot
        change(&snapshot)
        snapshot.subrooms.removeAll { $0.seats.isEmpty }
        copy.input.snapshot = snapshot
        return copy
    }

    func editingRequest(_ change: (inout SubroomRequest) -> Void) -> Case {
        var copy = self
        change(&copy.input.request)
        return copy
    }
}
