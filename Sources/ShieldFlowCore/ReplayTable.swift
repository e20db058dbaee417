/// The results of the last `capacity` events, for replays: an open-addressing hash table of ring
/// positions over a ring that forgets the oldest event when a new one arrives.
///
/// It replaces a `Dictionary` plus a ring of keys, which ran the hasher three times per key (look-up,
/// insert, and much later eviction) and spread one event over two large tables: at 65,536 events
/// every step was a cache miss or two. Here a probe reads only `slotHash`, 8 bytes per slot at a
/// load of at most one half, and touches an event's own entry only when the hashes agree.
/// Deletion shifts the following run of the probe sequence back (no tombstones), so a long run
/// never builds up. Callers pass the key's `hashValue` (the standard library's seeded hash, so
/// crafted keys gain nothing), computed once for a look-up and the insert after it.
struct ReplayTable<Key: Hashable, Value> {
    private var slotHash: [Int]
    /// The ring position held by each slot, or −1.
    private var slotEntry: [Int32]
    private var ring: [(key: Key, hash: Int, value: Value)] = []
    private var next = 0
    let capacity: Int
    private let mask: Int

    init(capacity: Int) {
        precondition(capacity >= 1 && capacity <= Int(Int32.max) / 4, "replay table capacity out of range")
        self.capacity = capacity
        var slots = 4
        while slots < 2 * capacity { slots <<= 1 }
        mask = slots - 1
        slotHash = [Int](repeating: 0, count: slots)
        slotEntry = [Int32](repeating: -1, count: slots)
        ring.reserveCapacity(capacity)
    }

    var count: Int { ring.count }

    /// The slot holding `key`, or nil.
    private func slot(of key: Key, hash: Int) -> Int? {
        var i = hash & mask
        while true {
            let e = slotEntry[i]
            if e < 0 { return nil }
            if slotHash[i] == hash && ring[Int(e)].key == key { return i }
            i = (i &+ 1) & mask
        }
    }

    func value(for key: Key, hash: Int) -> Value? {
        slot(of: key, hash: hash).map { ring[Int(slotEntry[$0])].value }
    }

    /// Remembers `value` for a key not in the table (checked by the caller with `value(for:)`),
    /// forgetting the oldest key when full.
    mutating func insert(_ key: Key, hash: Int, _ value: Value) {
        let position: Int
        if ring.count < capacity {
            position = ring.count
            ring.append((key, hash, value))
        } else {
            position = next
            next = next + 1 == capacity ? 0 : next + 1
            let old = ring[position]
            if let s = slot(of: old.key, hash: old.hash) { removeSlot(s) }
            ring[position] = (key, hash, value)
        }
        var i = hash & mask
        while slotEntry[i] >= 0 { i = (i &+ 1) & mask }
        slotHash[i] = hash
        slotEntry[i] = Int32(position)
    }

    /// Empties slot `i` and moves back every later slot of its run that may sit there: a slot
    /// whose home is not cyclically in (i, j] (linear probing's backward-shift deletion).
    private mutating func removeSlot(_ start: Int) {
        var i = start
        var j = start
        while true {
            j = (j &+ 1) & mask
            if slotEntry[j] < 0 { break }
            let home = slotHash[j] & mask
            let stays = i <= j ? (i < home && home <= j) : (i < home || home <= j)
            if !stays {
                slotHash[i] = slotHash[j]
                slotEntry[i] = slotEntry[j]
                i = j
            }
        }
        slotEntry[i] = -1
    }
}
