//! Sorting operations by time, for inputs that are nearly in order already.

/// Sorts `items` (operation indices) by `time`, equal times by index.
///
/// Recorded histories come nearly sorted: operations are recorded when they return, so by call
/// time each is at most a few places from where it belongs, and returns come nearly in call
/// order; a log may also list its unfinished operations last. Insertion sort suits that, where
/// the standard library's sorts cost a sizeable share of a small check: an item a few places out
/// is moved there one place at a time, one further out is placed by a binary search and a block
/// move. If the items moved exceed a few per item (long operations that overlap much of the
/// history), the rest is left to `sort_unstable`.
pub(crate) fn sort_by_time<T: Copy + Ord>(items: &mut [T], time: impl Fn(T) -> u64) {
    /// How far an item is moved one place at a time before a binary search is worth it.
    const NEAR: usize = 8;
    const MOVES_PER_ITEM: usize = 16;
    let key = |x: T| (time(x), x);
    let budget = MOVES_PER_ITEM * items.len();
    let mut moves = 0;
    for i in 1..items.len() {
        let x = items[i];
        let mut j = i;
        while j > 0 && key(items[j - 1]) > key(x) {
            if i - j == NEAR {
                let at = items[..j].partition_point(|&y| key(y) < key(x));
                items.copy_within(at..j, at + 1);
                j = at;
                break;
            }
            items[j] = items[j - 1];
            j -= 1;
        }
        items[j] = x;
        moves += i - j;
        if moves > budget {
            items.sort_unstable_by_key(|&x| key(x));
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_time_then_index_whether_nearly_sorted_or_not() {
        let times = [
            5u64, 3, 3, 9, 1, 7, 7, 0, 2, 8, 4, 6, 5, 5, 1, 0, 9, 9, 3, 2,
        ];
        let mut expected: Vec<usize> = (0..times.len()).collect();
        expected.sort_by_key(|&i| (times[i], i));
        // In index order: near and far moves; reversed: within the budget still.
        for mut v in [
            (0..times.len()).collect(),
            (0..times.len()).rev().collect::<Vec<_>>(),
        ] {
            sort_by_time(&mut v, |i| times[i]);
            assert_eq!(v, expected);
        }
        // 200 items in reverse need 19,900 moves, past the budget of 3,200: the fallback sorts.
        let mut v: Vec<usize> = (0..200).collect();
        sort_by_time(&mut v, |i| 1000 - i as u64);
        assert!(v.iter().rev().copied().eq(0..200));
    }
}
