/* The subcommands of nosco-sql. Each takes the arguments after its name
 * (argv[0] is the subcommand name) and returns the process exit status. */
#ifndef NOSCO_CLI_COMMANDS_H
#define NOSCO_CLI_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_repl(int argc, char **argv);
int cmd_export(int argc, char **argv);

#endif
