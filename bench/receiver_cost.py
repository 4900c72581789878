"""What a save costs per connected receiver: Product.save() with 0, 1, 10 and 100 receivers of
post_save that do nothing. Also the dispatch alone (post_save.send), without the database.

    python bench/receiver_cost.py
"""

import statistics
import time
from decimal import Decimal

from benchkit import pyplot, save_figure, setup_django

RECEIVERS = [0, 1, 10, 100]
SAVES = 2000
REPEATS = 5  # the median of these runs is reported


def do_nothing(sender, **kwargs):
    """A receiver that costs only its call."""


def microseconds_per_call(call, count):
    runs = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        for _ in range(count):
            call()
        runs.append((time.perf_counter() - started) / count * 1e6)
    return statistics.median(runs)


def main():
    setup_django()  # No lesson: only the receivers connected here listen.
    from django.db.models.signals import post_save

    from shop.models import Product

    mug = Product.objects.create(name="Mug", price=Decimal("9.50"))
    results = {}
    for count in RECEIVERS:
        # One function, connected `count` times: a dispatch_uid each makes them distinct.
        uids = [f"bench.do_nothing.{number}" for number in range(count)]
        for uid in uids:
            post_save.connect(do_nothing, sender=Product, dispatch_uid=uid)
        results[count] = {
            "save": microseconds_per_call(mug.save, SAVES),
            "dispatch": microseconds_per_call(
                lambda: post_save.send(sender=Product, instance=mug, created=False), SAVES
            ),
        }
        for uid in uids:
            post_save.disconnect(sender=Product, dispatch_uid=uid)
        print(
            f"{count:>4} receivers: save {results[count]['save']:8.1f} µs, "
            f"of which dispatch {results[count]['dispatch']:7.1f} µs"
        )
    per_receiver = (results[100]["dispatch"] - results[0]["dispatch"]) / 100
    print(f"each receiver adds about {per_receiver:.2f} µs to a save")
    plot(results, per_receiver)


def plot(results, per_receiver):
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(6, 3.5))
    labels = [str(count) for count in results]
    saves = [r["save"] for r in results.values()]
    dispatches = [r["dispatch"] for r in results.values()]
    axes.bar(labels, saves, label="Product.save() (SQLite file, WAL)")
    axes.bar(labels, dispatches, label="of which post_save.send()")
    axes.set_xlabel("receivers connected to post_save")
    axes.set_ylabel("µs per save")
    axes.set_title(f"Each receiver adds about {per_receiver:.2f} µs to a save")
    axes.legend()
    save_figure(figure, "bench-receiver-cost.png")


if __name__ == "__main__":
    main()
