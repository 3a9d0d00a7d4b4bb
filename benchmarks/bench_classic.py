"""Classic learners on the digits data: KNN and SVM fit/predict, chalkgrad.classic vs scikit-learn.

Run by hand:  python benchmarks/bench_classic.py [--quick]   (needs scikit-learn, from the datasets extra)
Digits (1797 × 64) standardized, split 75/25 stratified (random_state 0). Prints medians of
block medians and ratios chalkgrad / scikit-learn (lower is better), and test accuracies.
"""

from __future__ import annotations

import functools
import sys

import common as harness

from chalkgrad import classic


@functools.cache
def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    sc = StandardScaler().fit(Xtr)
    return sc.transform(Xtr), sc.transform(Xte), ytr, yte


NAMES = {"knn": "knn k=5", "knn-manhattan": "knn k=5 manhattan distance-weighted",
         "svc-rbf": "SVC rbf (SMO, one-vs-one)", "svc-linear": "SVC linear (SMO, one-vs-one)",
         "linearsvc": "LinearSVC squared hinge (one-vs-rest)"}


def estimators():
    """key -> (chalkgrad estimator factory, scikit-learn estimator factory); ``NAMES`` has the labels."""
    from sklearn import neighbors, svm

    return {
        "knn": (lambda: classic.KNeighborsClassifier(5),
                lambda: neighbors.KNeighborsClassifier(5, algorithm="brute")),
        "knn-manhattan": (
            lambda: classic.KNeighborsClassifier(5, metric="manhattan", weights="distance"),
            lambda: neighbors.KNeighborsClassifier(5, metric="manhattan", weights="distance", algorithm="brute")),
        "svc-rbf": (classic.SVC, svm.SVC),
        "svc-linear": (lambda: classic.SVC(kernel="linear"), lambda: svm.SVC(kernel="linear")),
        "linearsvc": (classic.LinearSVC, svm.LinearSVC),
    }


def job(key: str, library: str, step: str):
    """A factory: fit the estimator once on digits, then time ``fit`` or ``predict``."""

    def make():
        Xtr, Xte, ytr, _ = digits()
        est = estimators()[key][library == "sklearn"]()
        est.fit(Xtr, ytr)
        return (lambda: est.fit(Xtr, ytr)) if step == "fit" else (lambda: est.predict(Xte))

    return make


WORKLOADS = [
    harness.Workload(f"{key}-{step}", f"{name} | {step} (digits, 1347 train / 450 test)",
                     {"chalkgrad": job(key, "chalkgrad", step), "sklearn": job(key, "sklearn", step)},
                     reference="sklearn")
    for key, name in NAMES.items() for step in ("fit", "predict")
]


def versions(args) -> None:
    import sklearn

    print(f"scikit-learn {sklearn.__version__}\n")


def accuracies(args, results) -> None:
    Xtr, Xte, ytr, yte = digits()
    print("\ntest accuracy        chalkgrad  sklearn")
    for key, (ours, ref) in estimators().items():
        a, b = ours().fit(Xtr, ytr).score(Xte, yte), ref().fit(Xtr, ytr).score(Xte, yte)
        print(f"  {NAMES[key]:40} {a:.4f}   {b:.4f}")


def main(argv=None) -> int:
    return harness.main(WORKLOADS, __doc__, __file__, argv, imports=("sklearn",), before=versions, after=accuracies)


if __name__ == "__main__":
    sys.exit(main())
