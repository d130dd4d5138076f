-- A device is assigned at most once, and only leaving Unassigned assigns it. Before this release the
-- assignment rules also marked as assigned (rule_applied) a device they tried but did not move — no
-- rule matched it, or one matched while no licence was free — so that no later rule, batch run or dry
-- run ever considered it again. Clear that mark where the device's history shows it was enrolled into
-- Unassigned and never moved since (and it never left Unassigned): it is still waiting for its one
-- assignment. A device whose history does not show this keeps its mark.
UPDATE devices SET rule_applied = FALSE
WHERE rule_applied
  AND group_id IS NULL
  AND left_unassigned_at IS NULL
  AND EXISTS (SELECT 1 FROM device_history h
              WHERE h.account_id = devices.account_id AND h.device_id = devices.id
                AND h.action = 'enrolled' AND h.detail LIKE 'into Unassigned %')
  AND NOT EXISTS (SELECT 1 FROM device_history h
                  WHERE h.account_id = devices.account_id AND h.device_id = devices.id
                    AND h.action = 'moved');
