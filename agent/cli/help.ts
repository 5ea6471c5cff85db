/** Usage text of the CLI. */
export const USAGE = `raqib — watches digital services and reports outages to the Digital Government Authority

Usage:
  raqib run [--config FILE]            run the agent (SIGHUP or a file change reloads the config)
  raqib check-config [--config FILE]   validate a config: exit 0 when valid, 2 with file:line:col problems otherwise
  raqib probe [--config FILE] [SERVICE[/CHECK] ...]
                                       probe checks as the running agent would and print a table: exit 0 if all are up, 1 otherwise
  raqib login [--config FILE] [--as EMAIL]
                                       sign in to the authority for the crisis team's manager (or an alternate)
  raqib team register|show [--config FILE]
                                       register the crisis team with the authority, or show its registration
  raqib reports list|show ID [--json] [--config FILE]
                                       reports filed, their status, updates, guidance and undelivered calls
  raqib reports finalize ID --actions-ar "…" --actions-en "…" [--root-cause-ar "…" --root-cause-en "…"]
                                       add the actions taken (and root cause) in both languages: the running agent
                                       files the final report; --actions "…" / --root-cause "…" take one language,
                                       which the report marks as given in that language only
  raqib reports retry|dismiss SEQ      send a dead letter again (after fixing its cause), or drop it (handled by hand)
  raqib sandbox [--listen 127.0.0.1:8787] [--data FILE] [--auto-approve] [--ack-delay 2s]
                                       run the sandbox authority (Authority API v1) for drills and tests
  raqib demo [--keep]                  the whole loop in half a minute, narrated, against the built-in sandbox
  raqib schema                         print the JSON Schema of the config
  raqib --version | --help

FILE defaults to $RAQIB_CONFIG, then ${'config/raqib.yaml'}.
Exit codes: 0 ok, 1 failure, 2 usage or config error.
`;
