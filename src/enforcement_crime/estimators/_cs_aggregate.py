"""Aggregations of Callaway-Sant'Anna group-time ATTs with their influence functions.

Used by :func:`enforcement_crime.estimators.callaway_santanna` (see its docstring for
the weights): simple, dynamic (event time), group and calendar aggregations, each a
weighted average of ATT(g, t) whose influence function includes the estimation
error of cohort-share weights (R ``did``'s ``wif``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["CSAggregator"]


class CSAggregator:
    """Aggregations of ATT(g, t) with their influence functions (psi units).

    ``U`` holds the unit arrays (``n`` units, weights ``w``, cohorts ``G``),
    ``att_gt`` the cells (``group``, ``time``, ``estimate``) and ``PSI`` their
    influence functions (units x cells). :meth:`run` appends one row per
    reported term to :attr:`terms` and its influence function (``None`` for
    the reference row) to :attr:`psi_terms`.
    """

    def __init__(self, U, glist, att_gt: pd.DataFrame, PSI: np.ndarray):
        self.PSI = PSI
        self.n = U.n
        self.glist = glist
        self.gg = att_gt["group"].to_numpy()
        self.tt = att_gt["time"].to_numpy()
        self.att = att_gt["estimate"].to_numpy()
        # weighted cohort shares and their influence functions (in psi units)
        self.wn = U.w / U.w.mean()
        self.onehot = {int(g): (U.G == g).astype("float64") for g in glist}
        self.pg = {g: float(np.mean(self.wn * self.onehot[g])) for g in self.onehot}
        self.terms: list[dict] = []
        self.psi_terms: list[np.ndarray | None] = []
        self.window: tuple[int, int] | None = None

    def restart(self, estimates: np.ndarray) -> None:
        """Forget the terms and take new cell estimates (the cells, units and weights stay)."""
        self.att = np.asarray(estimates, dtype="float64")
        self.terms = []
        self.psi_terms = []

    def aggregate(self, idx: np.ndarray, weighting: str = "pg") -> tuple[float, np.ndarray]:
        """Point estimate and psi of sum_k W_k ATT_k over cells idx."""
        a = self.att[idx]
        if weighting == "equal":
            W = np.full(len(idx), 1.0 / len(idx))
            return float(W @ a), self.PSI[:, idx] @ W
        p = np.array([self.pg[int(g)] for g in self.gg[idx]])
        P = p.sum()
        W = p / P
        # wif: influence of estimated weights (R did::wif), divided by n for psi units
        E = np.column_stack([self.wn * self.onehot[int(g)] for g in self.gg[idx]]) - p  # n x k
        wif = E / P - np.outer(E.sum(axis=1), p / P**2)
        return float(W @ a), self.PSI[:, idx] @ W + wif @ a / self.n

    @staticmethod
    def combine(ests: list[float], psis: list[np.ndarray]) -> tuple[float, np.ndarray]:
        return float(np.mean(ests)), np.mean(np.column_stack(psis), axis=1)

    def add(self, term: str, est: float, psi, event_time=pd.NA, kind: str = "") -> None:
        self.terms.append({"term": term, "event_time": event_time, "estimate": est, "kind": kind})
        self.psi_terms.append(psi)

    def run(self, aggs, times, ref, window: tuple[int, int] | None = None) -> None:
        """Append the terms of every aggregation in ``aggs``; ``window`` limits the event times."""
        self.window = window
        for a in aggs:
            getattr(self, f"_{a}")(times, ref)

    def _simple(self, times, ref) -> None:
        idx = np.flatnonzero(self.tt >= self.gg)
        if len(idx):
            self.add("ATT(simple)", *self.aggregate(idx), kind="simple")

    def _dynamic(self, times, ref) -> None:
        e_all = self.tt - self.gg
        ests, psis = [], []
        e_seq = np.unique(np.concatenate([e_all, [ref]] if ref is not None else [e_all]))
        if self.window is not None:
            e_seq = e_seq[(e_seq >= self.window[0]) & (e_seq <= self.window[1])]
        for e in e_seq:
            if ref is not None and e == ref:
                self.terms.append(
                    {"term": f"e{ref}", "event_time": ref, "estimate": 0.0, "kind": "ref"}
                )
                self.psi_terms.append(None)
                continue
            est, psi = self.aggregate(np.flatnonzero(e_all == e))
            self.add(f"e{int(e)}", est, psi, int(e), kind="dynamic")
            if e >= 0:
                ests.append(est)
                psis.append(psi)
        if ests:
            self.add("ATT(dynamic)", *self.combine(ests, psis), kind="dynamic_overall")

    def _group(self, times, ref) -> None:
        post = self.tt >= self.gg
        ests, psis, pgs = [], [], []
        for g in self.glist:
            idx = np.flatnonzero((self.gg == g) & post)
            if not len(idx):
                continue
            est, psi = self.aggregate(idx, "equal")
            self.add(f"g{int(g)}", est, psi, kind="group")
            ests.append(est)
            psis.append(psi)
            pgs.append(int(g))
        if ests:
            p = np.array([self.pg[g] for g in pgs])
            P = p.sum()
            E = np.column_stack([self.wn * self.onehot[g] for g in pgs]) - p
            wif = E / P - np.outer(E.sum(axis=1), p / P**2)
            a = np.array(ests)
            self.add(
                "ATT(group)",
                float(p / P @ a),
                np.column_stack(psis) @ (p / P) + wif @ a / self.n,
                kind="group_overall",
            )

    def _calendar(self, times, ref) -> None:
        post = self.tt >= self.gg
        ests, psis = [], []
        for t in times[times >= self.glist.min()]:
            idx = np.flatnonzero((self.tt == t) & post)
            if not len(idx):
                continue
            est, psi = self.aggregate(idx)
            self.add(f"t{int(t)}", est, psi, kind="calendar")
            ests.append(est)
            psis.append(psi)
        if ests:
            self.add("ATT(calendar)", *self.combine(ests, psis), kind="calendar_overall")
