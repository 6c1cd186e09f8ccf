/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_STORE_H
#define DESKPOOL_BROKER_STORE_H

/* Everything dp_broker_store offers, for deskpoold and the pool manager:
 *   db.h               open, migrate, transactions, return codes
 *   vm_state.h         the VM state machine (pure)
 *   naming.h           pool naming patterns (pure)
 *   db_templates.h ... db_audit.h   one DAO per table family
 *   passwd_hash.h, nthash.h, secretbox.h   users' secrets */
#include "db.h"
#include "db_audit.h"
#include "db_entitlements.h"
#include "db_groups.h"
#include "db_pools.h"
#include "db_sessions.h"
#include "db_templates.h"
#include "db_tokens.h"
#include "db_users.h"
#include "db_vms.h"
#include "naming.h"
#include "nthash.h"
#include "passwd_hash.h"
#include "secretbox.h"
#include "vm_state.h"

#endif
