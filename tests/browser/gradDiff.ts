/** How far a backend's gradient is from the reference one: the largest absolute difference, the largest reference magnitude, and whether every value is finite. */
export function gradDiff(ref: ArrayLike<number>, got: ArrayLike<number>): { maxAbsDiff: number; maxAbsRef: number; finite: boolean } {
  let maxAbsDiff = 0;
  let maxAbsRef = 0;
  let finite = true;
  for (let i = 0; i < ref.length; i++) {
    if (!Number.isFinite(got[i])) finite = false;
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got[i] - ref[i]));
    maxAbsRef = Math.max(maxAbsRef, Math.abs(ref[i]));
  }
  return { maxAbsDiff, maxAbsRef, finite };
}
