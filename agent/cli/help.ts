/** Usage text of the CLI. */
export const USAGE = `raqib — watches digital services and reports outages to the Digital Government Authority

Usage:
  raqib run [--config FILE]            run the agent (SIGHUP or a file change reloads the config)
  raqib check-config [--config FILE]   validate a config: exit 0 when valid, 2 with file:line:col problems otherwise
  raqib probe [--config FILE] [SERVICE[/CHECK] ...]
                                       run checks once and print a table: exit 0 if all are up, 1 otherwise
  raqib schema                         print the JSON Schema of the config
  raqib --version | --help

FILE defaults to $RAQIB_CONFIG, then ${'config/raqib.yaml'}.
Exit codes: 0 ok, 1 failure, 2 usage or config error.
`;
