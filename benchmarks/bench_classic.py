"""Classic learners on the digits data: KNN and SVM fit/predict, chalkgrad.classic vs scikit-learn.

Run by hand:  python benchmarks/bench_classic.py   (needs scikit-learn, from the datasets extra)
Digits (1797 × 64) standardized, split 75/25 stratified (random_state 0). Prints medians of
interleaved rounds and ratios chalkgrad / scikit-learn (lower is better), and test accuracies.
"""

from __future__ import annotations

import argparse
import sys

from common import environment, fmt_ms, interleaved

from chalkgrad import classic


def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    sc = StandardScaler().fit(Xtr)
    return sc.transform(Xtr), sc.transform(Xte), ytr, yte


def workloads(Xtr, Xte, ytr):
    from sklearn import neighbors, svm

    pairs = {
        "knn k=5": (classic.KNeighborsClassifier(5), neighbors.KNeighborsClassifier(5, algorithm="brute")),
        "knn k=5 manhattan distance-weighted": (
            classic.KNeighborsClassifier(5, metric="manhattan", weights="distance"),
            neighbors.KNeighborsClassifier(5, metric="manhattan", weights="distance", algorithm="brute")),
        "SVC rbf (SMO, one-vs-one)": (classic.SVC(), svm.SVC()),
        "SVC linear (SMO, one-vs-one)": (classic.SVC(kernel="linear"), svm.SVC(kernel="linear")),
        "LinearSVC squared hinge (one-vs-rest)": (classic.LinearSVC(), svm.LinearSVC()),
    }
    jobs, fitted = {}, {}
    for name, (ours, ref) in pairs.items():
        for lib, est in (("chalkgrad", ours), ("sklearn", ref)):
            est.fit(Xtr, ytr)
            fitted[name, lib] = est
            jobs[f"{name} | fit | {lib}"] = (lambda e=est: e.fit(Xtr, ytr))
            jobs[f"{name} | predict | {lib}"] = (lambda e=est: e.predict(Xte))
    return pairs, jobs, fitted


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    import sklearn

    print(environment())
    print(f"  scikit-learn {sklearn.__version__}")
    print()
    Xtr, Xte, ytr, yte = digits()
    pairs, jobs, fitted = workloads(Xtr, Xte, ytr)
    results = interleaved(jobs, rounds=args.rounds, min_time=0.1)
    print(f"{'workload (digits, 1347 train / 450 test)':48} {'step':8} {'chalkgrad':>11} {'sklearn':>11} {'ratio':>7}")
    for name in pairs:
        for step in ("fit", "predict"):
            c, s = results[f"{name} | {step} | chalkgrad"], results[f"{name} | {step} | sklearn"]
            print(f"{name:48} {step:8} {fmt_ms(c)} {fmt_ms(s)} {c / s:6.2f}x")
    print("\ntest accuracy        chalkgrad  sklearn")
    for name in pairs:
        a, b = fitted[name, "chalkgrad"].score(Xte, yte), fitted[name, "sklearn"].score(Xte, yte)
        print(f"  {name:40} {a:.4f}   {b:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
