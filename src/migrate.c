#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"

/* Any constant works; it only has to be the same for every sellerdesk process. */
#define MIGRATE_LOCK_KEY "7243911"

DB_STMT(migrate_q_lock, "SELECT pg_advisory_lock($1::bigint)");
DB_STMT(migrate_q_unlock, "SELECT pg_advisory_unlock($1::bigint)");
DB_STMT(migrate_q_applied, "SELECT checksum FROM schema_migrations WHERE version = $1");
DB_STMT(migrate_q_record,
        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)");

static int is_migration_name(const char *name)
{
    size_t len = strlen(name);
    return len > 9 && strspn(name, "0123456789") == 4 && name[4] == '_' &&
           strcmp(name + len - 4, ".sql") == 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n;
    char chunk[8192];
    *len = 0;
    if (!f)
        return NULL;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (*len + n + 1 > cap) {
            cap = (*len + n + 1) * 2;
            buf = realloc(buf, cap);
        }
        memcpy(buf + *len, chunk, n);
        *len += n;
    }
    fclose(f);
    if (!buf)
        buf = calloc(1, 1);
    buf[*len] = '\0';
    return buf;
}

static void checksum_hex(const char *data, size_t len, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)data, len);
    sodium_bin2hex(out, 65, h, sizeof h);
}

/* 0 applied now, 1 already applied and unchanged, -1 failure. */
static int migrate_one(struct db_conn *c, const char *dir, const char *name)
{
    char path[4096], version[5], sum[65];
    size_t len;
    int rc = -1;
    PGresult *r = NULL;
    sd_err err;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    memcpy(version, name, 4);
    version[4] = '\0';
    char *sql = read_all(path, &len);
    if (!sql) {
        log_error("migrate: cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    checksum_hex(sql, len, sum);
    const char *p1[] = {version};
    if (!(r = db_exec(c, &migrate_q_applied, 1, p1, &err)))
        goto cleanup;
    if (PQntuples(r) == 1) {
        if (strcmp(PQgetvalue(r, 0, 0), sum) != 0) {
            log_error("migrate: %s was changed after it was applied (checksum %s, recorded %s); "
                      "write a new migration instead",
                      name, sum, PQgetvalue(r, 0, 0));
            goto cleanup;
        }
        rc = 1;
        goto cleanup;
    }
    PQclear(r);
    r = NULL;
    if (db_begin(c) != SD_OK)
        goto cleanup;
    if (db_command(c, sql) != SD_OK) {
        log_error("migrate: %s failed; nothing of it was applied", name);
        db_rollback(c);
        goto cleanup;
    }
    const char *p3[] = {version, name, sum};
    if (!(r = db_exec(c, &migrate_q_record, 3, p3, &err)) || db_commit(c) != SD_OK) {
        db_rollback(c);
        goto cleanup;
    }
    log_info("migrate: applied %s", name);
    rc = 0;
cleanup:
    PQclear(r);
    free(sql);
    return rc;
}

int migrate_run(struct db_conn *c, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *ent;
    char **names = NULL;
    size_t n = 0, applied = 0;
    int rc = -1;
    sd_err err;
    PGresult *r = NULL;
    const char *lock[] = {MIGRATE_LOCK_KEY};
    if (!d) {
        log_error("migrate: cannot open %s: %s", dir, strerror(errno));
        return -1;
    }
    while ((ent = readdir(d)) != NULL) {
        if (!is_migration_name(ent->d_name))
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(ent->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);

    if (!(r = db_exec(c, &migrate_q_lock, 1, lock, &err)))
        goto cleanup;
    PQclear(r);
    r = NULL;
    if (db_command(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                      " version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                      " applied_at timestamptz NOT NULL DEFAULT now())") != SD_OK)
        goto unlock;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strncmp(names[i], names[i - 1], 4) == 0) {
            log_error("migrate: %s and %s share a version number", names[i - 1], names[i]);
            goto unlock;
        }
        int one = migrate_one(c, dir, names[i]);
        if (one < 0)
            goto unlock;
        applied += (one == 0);
    }
    log_info("migrate: %zu applied, %zu already up to date", applied, n - applied);
    rc = 0;
unlock:
    r = db_exec(c, &migrate_q_unlock, 1, lock, &err);
cleanup:
    PQclear(r);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}
