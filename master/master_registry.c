/*
 * master_registry.c: the one thing the master writes down: the IDs of the
 * agents registered with it (Mesos keeps the same in its registry). After a
 * restart the master knows which agents to expect back, and until they have
 * re-registered, or --agent_reregister_timeout has passed, it does not
 * answer reconciliation of tasks it has not heard of yet: they may well be
 * running on an agent that is on its way back (Mesos does the same).
 *
 * The file is work_dir/agents, one ID per line, replaced with
 * write-to-temp, fsync, rename; writes are batched so a thousand agents
 * registering at once cost a few writes, not a thousand.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "id.h"
#include "log.h"
#include "loop.h"
#include "master.h"
#include "xmem.h"

#define REGISTRY_FILE "agents"
#define REGISTRY_WRITE_DELAY_MS 100      /* batch changes this long before writing */
#define REGISTRY_LINE_MAX (ID_MAX + 2)

static int
write_file(const char *dir, const struct buf *data)
{
	char *path = xstrfmt("%s/%s", dir, REGISTRY_FILE);
	char *tmp = xstrfmt("%s/%s.tmp", dir, REGISTRY_FILE);
	int rc = -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0) {
		log_warn("registry: cannot create %s", tmp);
		goto out;
	}
	size_t off = 0;
	while (off < data->len) {
		ssize_t n = write(fd, data->data + off, data->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("registry: cannot write %s", tmp);
			close(fd);
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		log_warn("registry: cannot sync %s", tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		log_warn("registry: cannot rename %s to %s", tmp, path);
		goto out;
	}
	/* The rename itself must reach the disk too. */
	fd = open(dir, O_RDONLY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	rc = 0;
out:
	free(path);
	free(tmp);
	return rc;
}

static void
registry_flush(struct loop *loop, void *arg)
{
	struct master *m = arg;
	struct buf data;
	const char *id;

	(void)loop;
	m->registry_timer = 0;
	buf_init(&data, 0);
	for (size_t it = 0; map_next(&m->agents, &it, &id, NULL);)
		buf_printf(&data, "%s\n", id);
	/* Agents still expected back stay listed until they return or time out. */
	for (size_t it = 0; map_next(&m->recovering_agents, &it, &id, NULL);)
		if (!map_get(&m->agents, id))
			buf_printf(&data, "%s\n", id);
	write_file(m->cfg.work_dir, &data);
	buf_free(&data);
}

void
master_registry_changed(struct master *m)
{
	if (!m->registry_timer)
		m->registry_timer = loop_timer_add(m->loop, REGISTRY_WRITE_DELAY_MS, registry_flush, m);
}

static void
recovery_over(struct loop *loop, void *arg)
{
	struct master *m = arg;

	(void)loop;
	m->recovery_timer = 0;
	if (map_len(&m->recovering_agents) > 0)
		log_warnx("%zu agents did not re-register within --agent_reregister_timeout; "
		          "forgetting them", map_len(&m->recovering_agents));
	map_free(&m->recovering_agents);
	map_init(&m->recovering_agents);
	master_registry_changed(m);
}

void
master_registry_load(struct master *m)
{
	char *path = xstrfmt("%s/%s", m->cfg.work_dir, REGISTRY_FILE);
	FILE *f = fopen(path, "r");
	char line[REGISTRY_LINE_MAX + 1];
	char err[MASTER_ERR_MAX];

	map_init(&m->recovering_agents);
	free(path);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (id_check("agent ID", line, err, sizeof(err)) == 0)
			map_put(&m->recovering_agents, line, (void *)1);
	}
	fclose(f);
	if (map_len(&m->recovering_agents) > 0) {
		log_info("expecting %zu agents to re-register", map_len(&m->recovering_agents));
		m->recovery_timer = loop_timer_add(m->loop, m->cfg.agent_reregister_timeout_ms,
		                                   recovery_over, m);
	}
}

/*
 * An agent the file lists already (one expected back) changes nothing in it:
 * 10,000 agents coming back after a failover rewrote the whole file every
 * REGISTRY_WRITE_DELAY_MS until the last one was in, for the same lines.
 */
void
master_registry_agent_back(struct master *m, const char *agent_id)
{
	if (!map_del(&m->recovering_agents, agent_id)) {
		master_registry_changed(m);
		return;
	}
	if (map_len(&m->recovering_agents) == 0) {
		log_info("every known agent has re-registered");
		loop_timer_cancel(m->loop, m->recovery_timer);
		m->recovery_timer = 0;
	}
}

int
master_registry_recovering(const struct master *m)
{
	return map_len(&m->recovering_agents) > 0;
}

void
master_registry_close(struct master *m)
{
	if (m->registry_timer) {
		loop_timer_cancel(m->loop, m->registry_timer);
		registry_flush(m->loop, m);
	}
	loop_timer_cancel(m->loop, m->recovery_timer);
	map_free(&m->recovering_agents);
}
