/**
 * The two promises a master cluster makes across any failover, checked on everything a drill observes:
 * a file id is never handed out twice, and MaxVolumeId (the volume-id sequence kept in raft) never goes back.
 */

/** A file id split into the parts that identify a needle: volume id and needle key (the cookie is random). */
export function needleOf(fid: string): { volumeId: number; key: string } {
  const match = /^(\d+),([0-9a-f]+)$/i.exec(fid);
  if (!match || match[2].length <= 8) throw new Error(`"${fid}" is not a SeaweedFS file id (<volume>,<key><8-hex cookie>)`);
  return { volumeId: Number(match[1]), key: match[2].slice(0, -8).replace(/^0+(?=.)/, "").toLowerCase() };
}

/** Every file id assigned during a run. Duplicates are counted by needle (volume id + key), stricter than the string. */
export class FileIdLedger {
  private readonly seen = new Map<string, string>();
  readonly duplicates: { fid: string; earlier: string }[] = [];

  record(fid: string): void {
    const { volumeId, key } = needleOf(fid);
    const needle = `${volumeId},${key}`;
    const earlier = this.seen.get(needle);
    if (earlier !== undefined) this.duplicates.push({ fid, earlier });
    else this.seen.set(needle, fid);
  }

  get count(): number {
    return this.seen.size + this.duplicates.length;
  }
}

/** The highest MaxVolumeId a leader has reported, and every report below it. */
export class MaxVolumeIdWatch {
  highest = 0;
  readonly regressions: { seen: number; highest: number; source: string }[] = [];

  /** Deliberate resets of the high-water mark (see {@link rebase}). */
  readonly rebases: { to: number; from: number; why: string }[] = [];

  /** A leader's MaxVolumeId (followers may lag legitimately while they replay the log, so only leaders count). */
  observe(value: number, source: string): void {
    if (value < this.highest) this.regressions.push({ seen: value, highest: this.highest, source });
    else this.highest = value;
  }

  /**
   * A restore from an older backup sets MaxVolumeId back to the backup's on purpose, until the volume servers'
   * heartbeats raise it again; the drill that does so says so here, and proves instead that no volume id is issued
   * twice (every volume grown afterwards is above `from`).
   */
  rebase(to: number, why: string): void {
    this.rebases.push({ to, from: this.highest, why });
    this.highest = to;
  }
}
