"""Write test-set predictions in the format the course's Kaggle competition expects."""

import csv
import os


def output_submission_csv(output_file_path, y_test):
    """Write a CSV with header ``id,category`` and one row per test image."""
    directory = os.path.dirname(output_file_path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with open(output_file_path, "w", newline="") as csv_file:
        writer = csv.writer(csv_file)
        writer.writerow(["id", "category"])
        for i, label in enumerate(y_test):
            writer.writerow([i, int(label)])
