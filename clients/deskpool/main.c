/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool: the admin CLI of deskpoold. Everything is in the dp_cli library (cli_main.c) so
 * tests can run it without a process. */
#include "cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv, stdout, stderr);
}
