/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_DB_TEMPLATES_H
#define DESKPOOL_BROKER_DB_TEMPLATES_H

/*
 * Templates and their immutable versions, as the broker knows them (the files live in the
 * template store, templates/store). A change to a template is a new version; a version is
 * deleted only when no pool pins it and no VM's disk is backed by it.
 */
#include <stddef.h>
#include <stdint.h>

struct db;
struct dp_err;

struct db_template {
    int64_t id;
    char name[64];
    int latest_version; /* 0: no version yet */
    int64_t created;
};

struct db_template_version {
    int64_t id;
    int64_t template_id;
    char template_name[64];
    int version; /* 1, 2, ... */
    char base_path[4096];
    char kernel[4096]; /* "" unless direct boot */
    char initrd[4096];
    char append[1024];
    int memory_mb;
    int vcpus;
    int has_rdp;
    char sha256[65];
    int64_t created;
};

/* Creates template `name` with no version; fills *out (may be NULL). DB_EEXISTS if taken. */
int db_template_create(struct db *db, const char *name, struct db_template *out,
                       struct dp_err *err);

/* Looks a template up by name. DB_ENOTFOUND says how to list them. */
int db_template_get(struct db *db, const char *name, struct db_template *out, struct dp_err *err);

/* All templates by name, malloc'd (free() it). */
int db_template_list(struct db *db, struct db_template **out, size_t *n, struct dp_err *err);

/*
 * Deletes a template and its versions. Refused (DB_ECONFLICT, nothing changed) while a pool
 * uses it or a VM's disk is backed by one of its versions; the message names them.
 */
int db_template_delete(struct db *db, const char *name, struct dp_err *err);

/*
 * Adds a version to template v->template_name (created if it does not exist yet).
 * v->version 0 takes the next number; an explicit number that exists is DB_EEXISTS. Fills
 * v->id, v->template_id, v->version and v->created.
 */
int db_template_version_add(struct db *db, struct db_template_version *v, struct dp_err *err);

/* Gets version `version` of template `name`; 0 = the latest. */
int db_template_version_get(struct db *db, const char *name, int version,
                            struct db_template_version *out, struct dp_err *err);
int db_template_version_get_by_id(struct db *db, int64_t id, struct db_template_version *out,
                                  struct dp_err *err);

/* The versions of one template (name non-NULL) or of all, by name then version. */
int db_template_version_list(struct db *db, const char *name, struct db_template_version **out,
                             size_t *n, struct dp_err *err);

/* Deletes one version; refused while a pool pins it or a VM's disk is backed by it. */
int db_template_version_delete(struct db *db, const char *name, int version, struct dp_err *err);

#endif
