/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-connect: the thin-client launcher (see conn_main.c and README.md). */
#include "conn_ctx.h"

int main(int argc, char **argv)
{
    return conn_main(argc, argv);
}
