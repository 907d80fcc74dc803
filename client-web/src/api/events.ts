// A project's live events (SPEC §4 SSE: comment, job, member, notification), and following a
// background job to its end through them, with polling as a backstop.

import { Api, withToken, type Job } from './client';

export type ProjectEvent =
  | { kind: 'comment'; data: { action: string; comment: unknown } }
  | { kind: 'job'; data: { job: Job } }
  | { kind: 'member'; data: { user_id: string; role: string | null; action: string } }
  | { kind: 'notification'; data: unknown };

export class ProjectEvents {
  private source: EventSource | null = null;
  private readonly listeners = new Set<(e: ProjectEvent) => void>();

  constructor(projectId: string) {
    const source = new EventSource(withToken(`/api/projects/${projectId}/events`));
    for (const kind of ['comment', 'job', 'member', 'notification'] as const) {
      source.addEventListener(kind, (e) => {
        try {
          const data = JSON.parse((e as MessageEvent<string>).data);
          this.listeners.forEach((l) => l({ kind, data } as ProjectEvent));
        } catch {
          /* a malformed event is ignored */
        }
      });
    }
    this.source = source;
  }

  on(listener: (e: ProjectEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.source?.close();
    this.source = null;
    this.listeners.clear();
  }
}

/**
 * Follows a job until it is done or failed: `job` SSE events as they come, and a poll every
 * second in case an event was missed. Resolves with the final job.
 */
export function followJob(events: ProjectEvents | null, first: Job, onUpdate: (job: Job) => void): Promise<Job> {
  return new Promise((resolve) => {
    let finished = false;
    const finish = (job: Job) => {
      if (finished) return;
      onUpdate(job);
      if (job.state === 'done' || job.state === 'failed') {
        finished = true;
        off?.();
        clearInterval(timer);
        resolve(job);
      }
    };
    const off = events?.on((e) => {
      if (e.kind === 'job' && e.data.job?.id === first.id) finish(e.data.job);
    });
    const timer = setInterval(() => {
      Api.job(first.id).then((r) => finish(r.job), () => undefined);
    }, 1000);
    finish(first);
  });
}
