//! The shopping cart (6C): a set of items under one key, written with contexts so that no
//! acknowledged add is ever lost, whatever the store's siblings. Reading merges every sibling by
//! union; an add writes the merge, with the item, back with the context it read, which supersedes
//! exactly the siblings it merged.
//!
//! Removing is the challenge. Take the items out of the union and write that back, and a
//! concurrent sibling that still holds them brings them back at the next merge: union resurrects
//! deletions. An observed-remove set keeps each add with a unique tag, and a removal records the
//! tags it saw (a tombstone) instead of dropping them: a merge keeps every tag of every sibling,
//! and an item is in the cart while one of its tags is not removed. A concurrent add of the same
//! item has a tag the removal did not see, so it stays, as it should.

use std::collections::BTreeSet;

use crate::{Clerk, DynamoError};
// BEGIN SOLUTION
use std::collections::BTreeMap;

use crate::version::Context;
// END SOLUTION
// STUB: // Your imports here (6C).

/// A cart kept under one key of the store.
// STUB ONLY: // The stubs below do not read every field yet: remove the next line when they do.
// STUB ONLY: #[allow(dead_code)]
pub struct Cart {
    clerk: Clerk,
    key: String,
}
// BEGIN SOLUTION

/// The state of an observed-remove set: every add with its tag, and the tags removed.
#[derive(Debug, Default, PartialEq)]
struct Items {
    added: BTreeMap<String, String>,
    removed: BTreeSet<String>,
}

impl Items {
    /// One sibling's value: a line `+<tag> <item>` per add and `-<tag>` per removal.
    fn decode(value: &str) -> Items {
        let mut items = Items::default();
        for line in value.lines() {
            if let Some(add) = line.strip_prefix('+') {
                if let Some((tag, item)) = add.split_once(' ') {
                    items.added.insert(tag.to_string(), item.to_string());
                }
            } else if let Some(tag) = line.strip_prefix('-') {
                items.removed.insert(tag.to_string());
            }
        }
        items
    }

    fn encode(&self) -> String {
        let adds = (self.added.iter()).map(|(tag, item)| format!("+{tag} {item}"));
        let removals = self.removed.iter().map(|tag| format!("-{tag}"));
        adds.chain(removals).collect::<Vec<_>>().join("\n")
    }

    /// The union of every sibling's state.
    fn merge(siblings: &[String]) -> Items {
        let mut items = Items::default();
        for value in siblings {
            let sibling = Items::decode(value);
            items.added.extend(sibling.added);
            items.removed.extend(sibling.removed);
        }
        items
    }

    fn present(&self) -> BTreeSet<String> {
        (self.added.iter())
            .filter(|(tag, _)| !self.removed.contains(*tag))
            .map(|(_, item)| item.clone())
            .collect()
    }
}
// END SOLUTION
// STUB:

impl Cart {
    pub fn new(clerk: Clerk, key: &str) -> Cart {
        Cart {
            clerk,
            key: key.to_string(),
        }
    }

    /// Adds `item` (one line of text, without newlines). An error means the add may or may not
    /// have taken effect.
    pub async fn add(&mut self, item: &str) -> Result<(), DynamoError> {
        check_item(item)?;
        // BEGIN SOLUTION
        let (mut items, context) = self.read().await?;
        let tag = format!("{:016x}", labrpc::rand::random::<u64>());
        items.added.insert(tag, item.to_string());
        self.write(&items, &context).await
        // END SOLUTION
        // STUB: // Your code here (6C): read the versions, merge them, add, write back.
        // STUB: Err(DynamoError::NoCoordinator)
    }

    /// Removes `item` (the challenge: the removal must stick, see the module's page).
    pub async fn remove(&mut self, item: &str) -> Result<(), DynamoError> {
        check_item(item)?;
        // BEGIN SOLUTION
        let (mut items, context) = self.read().await?;
        let tags: Vec<String> = (items.added.iter())
            .filter(|(_, added)| *added == item)
            .map(|(tag, _)| tag.clone())
            .collect();
        items.removed.extend(tags);
        self.write(&items, &context).await
        // END SOLUTION
        // STUB: // Your code here (6C challenge).
        // STUB: Err(DynamoError::NoCoordinator)
    }

    /// The items in the cart: every sibling merged.
    pub async fn items(&mut self) -> Result<BTreeSet<String>, DynamoError> {
        // BEGIN SOLUTION
        Ok(self.read().await?.0.present())
        // END SOLUTION
        // STUB: // Your code here (6C).
        // STUB: Err(DynamoError::NoCoordinator)
    }
    // BEGIN SOLUTION

    async fn read(&mut self) -> Result<(Items, Context), DynamoError> {
        let (siblings, context) = self.clerk.get_versions(&self.key).await?;
        Ok((Items::merge(&siblings), context))
    }

    async fn write(&mut self, items: &Items, context: &Context) -> Result<(), DynamoError> {
        (self.clerk.put_with(&self.key, &items.encode(), context)).await
    }
    // END SOLUTION
    // STUB:
}

/// An item is one line of text: the cart's encoding is yours to choose, and may use newlines.
fn check_item(item: &str) -> Result<(), DynamoError> {
    if item.is_empty() || item.contains('\n') {
        return Err(DynamoError::BadOptions(format!(
            "a cart item is one non-empty line of text, not {item:?}"
        )));
    }
    Ok(())
}
