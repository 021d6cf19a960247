//! Who could reach whom: the sides of the network among the servers of each replica group, from
//! the recorded link changes. Two servers of a group are on one side when the links between them
//! are up both ways (the harness always changes both); a side is a connected component of that
//! relation. A group is the servers whose names differ only in their final `S<n>`
//! (`server-101-S0`, `server-101-S1`): different groups never share a side, since a partition is
//! something done to one group's links.

use super::recording::{Lane, LaneKind, Link, Micros};

/// From `at` on, `side[lane]` is the side of each server lane (`None` for other lanes); sides are
/// numbered in order of their first lane, so an unpartitioned network is all side 0.
#[derive(Debug, PartialEq)]
pub(crate) struct Epoch {
    pub at: Micros,
    pub side: Vec<Option<u32>>,
}

pub(crate) fn epochs(lanes: &[Lane], links: &[Link]) -> Vec<Epoch> {
    let n = lanes.len();
    let server: Vec<bool> = lanes.iter().map(|l| l.kind == LaneKind::Server).collect();
    let mut up = vec![vec![false; n]; n];
    let mut out: Vec<Epoch> = Vec::new();
    let mut i = 0;
    while i < links.len() {
        let at = links[i].at;
        while i < links.len() && links[i].at == at {
            let l = &links[i];
            up[l.from as usize][l.to as usize] = l.up;
            i += 1;
        }
        let side = sides(lanes, &server, &up);
        if out.last().is_none_or(|e| e.side != side) {
            out.push(Epoch { at, side });
        }
    }
    out
}

/// The replica group of a server: its name without the final `S<n>`.
pub(crate) fn group(name: &str) -> &str {
    let digits = name.trim_end_matches(|c: char| c.is_ascii_digit());
    match digits.strip_suffix('S') {
        Some(group) if digits.len() < name.len() => group,
        _ => name,
    }
}

fn sides(lanes: &[Lane], server: &[bool], up: &[Vec<bool>]) -> Vec<Option<u32>> {
    let n = server.len();
    let mut side: Vec<Option<u32>> = vec![None; n];
    let mut next = 0;
    for start in (0..n).filter(|&s| server[s]) {
        if side[start].is_some() {
            continue;
        }
        side[start] = Some(next);
        let mut stack = vec![start];
        while let Some(a) = stack.pop() {
            for b in 0..n {
                let peers = server[b] && group(&lanes[a].name) == group(&lanes[b].name);
                if peers && side[b].is_none() && up[a][b] && up[b][a] {
                    side[b] = Some(next);
                    stack.push(b);
                }
            }
        }
        next += 1;
    }
    side
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lane(name: &str, kind: LaneKind) -> Lane {
        Lane {
            name: name.into(),
            kind,
        }
    }

    #[test]
    fn a_group_is_a_name_without_its_final_server_number() {
        assert_eq!(group("server-101-S2"), "server-101-");
        assert_eq!(group("S0"), "");
        assert_eq!(group("ctlr-S12"), "ctlr-");
        assert_eq!(group("C7"), "C7");
    }

    #[test]
    fn a_partition_splits_the_servers_into_sides_and_healing_joins_them() {
        let lanes = [
            lane("tester", LaneKind::Tester),
            lane("S0", LaneKind::Server),
            lane("S1", LaneKind::Server),
            lane("S2", LaneKind::Server),
        ];
        let link = |at, from, to, up| Link { at, from, to, up };
        let mut links = Vec::new();
        for a in 1..4 {
            for b in 1..4 {
                links.push(link(0, a, b, true));
            }
        }
        // S2 cut off from both others, then reconnected.
        for other in [1, 2] {
            links.push(link(10, 3, other, false));
            links.push(link(10, other, 3, false));
        }
        links.push(link(20, 3, 1, true));
        links.push(link(20, 1, 3, true));
        let e = epochs(&lanes, &links);
        let sides: Vec<_> = e.iter().map(|e| (e.at, e.side.clone())).collect();
        assert_eq!(
            sides,
            [
                (0, vec![None, Some(0), Some(0), Some(0)]),
                (10, vec![None, Some(0), Some(0), Some(1)]),
                (20, vec![None, Some(0), Some(0), Some(0)]),
            ]
        );
    }
}
