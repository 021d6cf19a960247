//! The ring: which nodes hold which keys.
//!
//! The hash space is cut into Q equal partitions (Dynamo's strategy 3); each partition is owned
//! by one node, and the nodes own Q/S partitions each (S nodes), spread around the ring. A key
//! falls in one partition ([`crate::partition_of`]); its preference list is the first N distinct
//! nodes met walking clockwise from that partition (further partitions of a node already met are
//! skipped). A node that joins takes partitions from the nodes with the most; a node that leaves
//! gives its partitions to those with the fewest: only the partitions that change owner move.

use serde::{Deserialize, Serialize};

use crate::{NodeId, partition_of};

/// Which node owns each partition. Every node and the tester hold equal copies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ring {
    /// `owners[p]` owns partition `p`.
    owners: Vec<NodeId>,
}

impl Ring {
    /// A ring of `partitions` partitions spread evenly over `nodes` (at least one, and no more
    /// nodes than partitions).
    pub fn new(nodes: &[NodeId], partitions: usize) -> Ring {
        let mut nodes = nodes.to_vec();
        nodes.sort_unstable();
        nodes.dedup();
        assert!(
            !nodes.is_empty() && nodes.len() <= partitions,
            "a ring needs between 1 and {partitions} nodes, not {}",
            nodes.len()
        );
        // BEGIN SOLUTION
        // Round robin: every node owns every S-th partition, so neighbouring partitions have
        // different owners and a preference list is the owners of consecutive partitions.
        let owners = (0..partitions).map(|p| nodes[p % nodes.len()]).collect();
        Ring { owners }
        // END SOLUTION
        // STUB: // Your code here (6A).
        // STUB: Ring { owners: vec![nodes[0]; partitions] }
    }

    /// How many partitions the ring has.
    pub fn partitions(&self) -> usize {
        self.owners.len()
    }

    /// The owner of partition `p`.
    pub fn owner(&self, p: usize) -> NodeId {
        self.owners[p]
    }

    /// The nodes on the ring, in increasing order.
    pub fn nodes(&self) -> Vec<NodeId> {
        let mut nodes = self.owners.clone();
        nodes.sort_unstable();
        nodes.dedup();
        nodes
    }

    /// Every node on the ring once, in the order met walking clockwise from `key`'s partition:
    /// the first N are its preference list, the ones after stand in for them (6B).
    pub fn walk(&self, key: &str) -> Vec<NodeId> {
        self.walk_from(partition_of(key, self.owners.len()))
    }

    /// Every node on the ring once, in the order met walking clockwise from partition `start`:
    /// the first N are the home replicas of every key in that partition.
    pub fn walk_from(&self, start: usize) -> Vec<NodeId> {
        // BEGIN SOLUTION
        let q = self.owners.len();
        let nodes = self.nodes().len();
        let mut met = Vec::with_capacity(nodes);
        for i in 0..q {
            let owner = self.owners[(start + i) % q];
            if !met.contains(&owner) {
                met.push(owner);
                if met.len() == nodes {
                    break;
                }
            }
        }
        met
        // END SOLUTION
        // STUB: // Your code here (6A).
        // STUB: let _ = start;
        // STUB: self.nodes()
    }

    /// `key`'s preference list: its first `n` distinct nodes clockwise (all of them if the ring
    /// has fewer).
    pub fn preference_list(&self, key: &str, n: usize) -> Vec<NodeId> {
        let mut walk = self.walk(key);
        walk.truncate(n);
        walk
    }

    /// Adds `node`, which takes its share of the partitions (Q / (S + 1)) from the nodes that
    /// own the most; every other partition keeps its owner. Nothing changes if it is already on
    /// the ring.
    pub fn join(&mut self, node: NodeId) {
        // BEGIN SOLUTION
        if self.owners.contains(&node) {
            return;
        }
        let share = self.owners.len() / (self.nodes().len() + 1);
        for _ in 0..share {
            let donor = self.most_loaded();
            // Of the donor's partitions, the one farthest from the new node's others, so that
            // its partitions spread around the ring.
            let p = (0..self.owners.len())
                .filter(|&p| self.owners[p] == donor)
                .max_by_key(|&p| (self.distance_to(node, p), std::cmp::Reverse(p)))
                .expect("the donor owns partitions");
            self.owners[p] = node;
        }
        // END SOLUTION
        // STUB: // Your code here (6A).
        // STUB: let _ = node;
    }

    /// Removes `node`, whose partitions go, one by one, to the nodes that own the fewest; every
    /// other partition keeps its owner. Nothing changes if it is not on the ring, or is the last
    /// node.
    pub fn leave(&mut self, node: NodeId) {
        // BEGIN SOLUTION
        let others: Vec<NodeId> = self.nodes().into_iter().filter(|&n| n != node).collect();
        if others.is_empty() || others.len() == self.nodes().len() {
            return;
        }
        for p in 0..self.owners.len() {
            if self.owners[p] != node {
                continue;
            }
            let load = |n: NodeId| self.owners.iter().filter(|&&o| o == n).count();
            // The least loaded, then the one whose partitions are farthest from this one.
            let heir = *others
                .iter()
                .min_by_key(|&&n| (load(n), std::cmp::Reverse(self.distance_to(n, p)), n))
                .expect("others is not empty");
            self.owners[p] = heir;
        }
        // END SOLUTION
        // STUB: // Your code here (6A).
        // STUB: let _ = node;
    }
    // BEGIN SOLUTION

    /// The node owning the most partitions (the lowest id among equals).
    fn most_loaded(&self) -> NodeId {
        let nodes = self.nodes();
        let load = |n: NodeId| self.owners.iter().filter(|&&o| o == n).count();
        *nodes
            .iter()
            .max_by_key(|&&n| (load(n), std::cmp::Reverse(n)))
            .expect("the ring has nodes")
    }

    /// How many partitions separate `p` from the nearest partition `node` owns, around the ring
    /// (the ring's size when it owns none).
    fn distance_to(&self, node: NodeId, p: usize) -> usize {
        let q = self.owners.len();
        (0..q)
            .filter(|&o| self.owners[o] == node)
            .map(|o| {
                let d = o.abs_diff(p);
                d.min(q - d)
            })
            .min()
            .unwrap_or(q)
    }
    // END SOLUTION
    // STUB:
}
