"""Working as a team: the member list, key generations, remotes, sync and field-level merge."""
