"""scikit-learn peer of probes.bench.ts: one timed fit of the cross-validated probe on the same features.

Usage: probes_sklearn.py DIR logistic|ridge ROUND   (prints one JSON object)
"""
import json
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegressionCV, Ridge
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.preprocessing import StandardScaler


def main() -> None:
    folder, probe, round_ = sys.argv[1], sys.argv[2], int(sys.argv[3])
    meta = json.load(open(f"{folder}/y.json"))
    dim = meta["dim"]
    x_train = np.fromfile(f"{folder}/x_train.f64", dtype=np.float64).reshape(-1, dim)
    x_test = np.fromfile(f"{folder}/x_test.f64", dtype=np.float64).reshape(-1, dim)
    y_train = np.asarray(meta["train"])
    y_test = np.asarray(meta["test"])
    began = time.perf_counter()
    cpu0 = time.process_time()
    scaler = StandardScaler().fit(x_train)
    z_train, z_test = scaler.transform(x_train), scaler.transform(x_test)
    warnings.simplefilter("ignore", ConvergenceWarning)
    if probe == "logistic":
        n = len(y_train)
        cs = [1.0 / (lam * n) for lam in meta["l2"]]
        model = LogisticRegressionCV(Cs=cs, cv=StratifiedKFold(3, shuffle=True, random_state=round_), solver="lbfgs", multi_class="multinomial")
        model.fit(z_train, y_train)
        seconds = time.perf_counter() - began
        acc = float((model.predict(z_test) == y_test).mean())
        out = {"seconds": seconds, "cpuSeconds": time.process_time() - cpu0, "accuracy": acc, "l2": 1.0 / (float(model.C_[0]) * n), "iterations": int(np.max(model.n_iter_))}
    else:
        targets = np.eye(int(max(y_train.max(), y_test.max())) + 1)[y_train]
        search = GridSearchCV(Ridge(), {"alpha": meta["alphas"]}, cv=KFold(5, shuffle=True, random_state=round_), scoring="neg_mean_squared_error")
        search.fit(z_train, targets)
        seconds = time.perf_counter() - began
        acc = float((search.predict(z_test).argmax(axis=1) == y_test).mean())
        out = {"seconds": seconds, "cpuSeconds": time.process_time() - cpu0, "accuracy": acc, "alpha": float(search.best_params_["alpha"])}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
