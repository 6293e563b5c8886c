/** Data science and machine-learning questions. */
import type { Template } from "../types";
import { explainTemplate } from "./helpers";

export const dataMlTemplates: Template[] = [
  explainTemplate({
    key: "ml-overfitting",
    category: "data_ml",
    variants: [
      {
        asks: [
          "How can I tell if my model is overfitting?",
          "My training accuracy is 99% but validation is 71%. Is that overfitting and what should I do?",
          "What are the signs of overfitting in a neural net and how do I fix it?",
        ],
        explain: {
          short:
            "The classic sign is a widening gap between training and validation performance: training loss keeps falling while validation loss plateaus or rises. Fix it with more (or augmented) data, regularisation such as weight decay or dropout, a smaller model, or early stopping on validation loss.",
          intro:
            "Overfitting means the model has learned patterns specific to the training set — including noise — that don't generalise. You detect it by comparing performance on data the model hasn't seen.",
          sections: [
            {
              title: "Diagnose it",
              body: "Plot training and validation loss per epoch. If validation loss bottoms out and then climbs while training loss keeps decreasing, you're overfitting from that point on. A 99% vs 71% accuracy gap is a strong signal, but first rule out leakage or a distribution shift between the splits.",
            },
            {
              title: "Fix it",
              body: "Work through the cheap options first.",
              bullets: [
                "More data: collect more, or use augmentation (crops, flips, noise, back-translation for text).",
                "Regularisation: weight decay, dropout, label smoothing.",
                "Capacity: fewer layers or parameters, or a pretrained backbone with a small head.",
                "Early stopping: keep the checkpoint with the best validation loss.",
              ],
            },
            {
              title: "Check it properly",
              body: "Use k-fold cross-validation if your dataset is small, and keep a final test set you only touch once, so your fixes don't overfit the validation set itself.",
            },
          ],
          errors: [
            [
              "training loss keeps falling while validation loss plateaus or rises",
              "validation loss keeps falling faster than training loss",
            ],
            ["a smaller model", "a much bigger model"],
          ],
        },
      },
    ],
  }),
  explainTemplate({
    key: "ml-precision-recall",
    category: "data_ml",
    variants: [
      {
        asks: [
          "What's the difference between precision and recall?",
          "Explain precision vs recall with an example. When should I care about one over the other?",
        ],
        explain: {
          short:
            "Precision is the share of predicted positives that are actually positive (TP / (TP + FP)); recall is the share of actual positives you found (TP / (TP + FN)). Favour recall when missing a case is costly (cancer screening) and precision when false alarms are costly (spam filtering).",
          terse: "Precision = TP/(TP+FP), recall = TP/(TP+FN).",
          intro:
            'Both metrics look at the positive class, but they answer different questions: "when the model says yes, is it right?" versus "of all the real yeses, how many did it catch?"',
          sections: [
            {
              title: "An example",
              body: "A fraud model flags 100 transactions; 80 are really fraud, so precision is 80%. If there were 200 fraudulent transactions in total, it caught 80 of them, so recall is 40%.",
            },
            {
              title: "The trade-off",
              body: "Lowering the decision threshold flags more items, which usually raises recall and lowers precision. A precision–recall curve shows the whole trade-off, and F1 (their harmonic mean) summarises it in one number when both matter equally.",
            },
          ],
          table: {
            headers: ["Metric", "Formula", "Prioritise when…"],
            rows: [
              ["Precision", "TP / (TP + FP)", "False positives are expensive (spam, legal holds)"],
              ["Recall", "TP / (TP + FN)", "False negatives are expensive (screening, fraud)"],
              ["F1", "2·P·R / (P + R)", "You need a single balanced number"],
            ],
          },
          errors: [
            ["so recall is 40%", "so recall is 80%"],
            ["usually raises recall and lowers precision", "usually raises both precision and recall"],
          ],
        },
      },
    ],
  }),
  explainTemplate({
    key: "ml-scaling",
    category: "data_ml",
    variants: [
      {
        asks: [
          "Do I need to normalize my features before training?",
          "When should I standardize features, and does it matter for random forests?",
        ],
        explain: {
          short:
            "Yes for models that depend on distances or gradients — linear/logistic regression with regularisation, SVMs, k-NN, PCA and neural networks. Tree-based models like random forests and gradient boosting don't need it because splits are invariant to monotonic rescaling.",
          intro:
            "Scaling puts features on comparable ranges so that no feature dominates just because of its units — income in dollars versus age in years, for example.",
          sections: [
            {
              title: "Who needs it",
              body: "Distance-based methods (k-NN, k-means, SVM with RBF kernel) and anything trained with gradient descent converge faster and behave better on scaled inputs. L1/L2 penalties are also only fair when features share a scale.",
            },
            {
              title: "Who doesn't",
              body: "Decision trees split on thresholds of one feature at a time, so multiplying a feature by 1,000 doesn't change which splits are possible. Scaling is harmless there, just unnecessary.",
            },
            {
              title: "Do it without leaking",
              body: "Fit the scaler on the training split only, then apply it to validation and test data. A scikit-learn `Pipeline` makes this automatic, including inside cross-validation.",
              code: {
                lang: "python",
                src: `from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression

model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0))
model.fit(X_train, y_train)
print(model.score(X_test, y_test))`,
              },
            },
          ],
          errors: [
            ["Tree-based models like random forests and gradient boosting don't need it", "Random forests need it most of all"],
            ["Fit the scaler on the training split only", "Fit the scaler on the full dataset first"],
          ],
        },
      },
    ],
  }),
  explainTemplate({
    key: "ml-leakage",
    category: "data_ml",
    variants: [
      {
        asks: [
          "My model got 98% on the test set but terrible results in production. What could cause that?",
          "What is data leakage and how do I avoid it?",
        ],
        explain: {
          short:
            "The most likely culprit is data leakage: information from the test set or from the future slipped into training, so the test score was inflated. Check for duplicate rows across splits, features computed after the label is known, preprocessing fit on the full dataset, and random splits of time-series data.",
          intro:
            "A test score that collapses in production usually means the evaluation wasn't measuring what you thought. Leakage is the most common cause, with distribution shift a close second.",
          sections: [
            {
              title: "Common leaks",
              body: "These show up again and again in post-mortems.",
              bullets: [
                "Target leakage: a feature like `refund_issued` that is only known after the outcome you're predicting.",
                "Train–test contamination: near-duplicate rows, or the same customer appearing in both splits.",
                "Preprocessing leakage: scalers, imputers or vocabularies fit on all the data before splitting.",
                "Temporal leakage: a random split of time-ordered data lets the model peek at the future.",
              ],
            },
            {
              title: "How to check",
              body: "Look at feature importances — a single feature with suspiciously high importance is a red flag. Split by group (user, patient) or by time, and rebuild the pipeline so every fitted step sees only training data.",
            },
            {
              title: "If it isn't leakage",
              body: "Compare feature distributions between your training data and recent production inputs. Seasonality, a new customer segment or an upstream schema change can all cause the model to face data it never saw.",
            },
          ],
          errors: [["split by group (user, patient) or by time", "shuffle the time-series data randomly"]],
        },
      },
    ],
  }),
  explainTemplate({
    key: "ml-reward-model",
    category: "data_ml",
    variants: [
      {
        asks: [
          "How are reward models trained from human preference data?",
          "Explain how pairwise human preferences turn into a reward model for RLHF.",
          "what loss do you use to train a reward model on chosen/rejected pairs?",
        ],
        explain: {
          short:
            "Annotators compare two responses to the same prompt, and a model r(x, y) is trained so the preferred response scores higher, typically with the Bradley–Terry loss −log σ(r(x, y_chosen) − r(x, y_rejected)). The trained reward model then scores new outputs during RL fine-tuning or best-of-n sampling.",
          intro:
            'A reward model turns noisy, relative human judgements into a scalar score that can be optimised. Pairwise comparisons are used because people are far more consistent at saying "A is better than B" than at assigning absolute scores.',
          sections: [
            {
              title: "Data",
              body: "Each example is a prompt plus two (or more) responses and a label saying which one the annotator preferred, sometimes with a strength or a tie option. Rankings of K responses can be expanded into K·(K−1)/2 pairs.",
            },
            {
              title: "Model and loss",
              body: "Usually the reward model is the language model itself with the final layer replaced by a scalar head. Under the Bradley–Terry model, the probability that A beats B is σ(r_A − r_B), so training minimises `-log sigmoid(r_chosen - r_rejected)` averaged over pairs.",
              code: {
                lang: "python",
                src: `import torch.nn.functional as F

def preference_loss(r_chosen, r_rejected):
    # r_*: tensors of shape (batch,) with scalar rewards
    return -F.logsigmoid(r_chosen - r_rejected).mean()`,
              },
            },
            {
              title: "Quality control",
              body: "Inter-annotator agreement on typical preference data is often only 60–75%, so labs measure it, drop or adjudicate low-agreement items, and hold out a test set to track the reward model's pairwise accuracy.",
            },
          ],
          errors: [
            ["−log σ(r(x, y_chosen) − r(x, y_rejected))", "mean squared error between the two rewards"],
            ["K·(K−1)/2 pairs", "K² pairs"],
          ],
        },
      },
    ],
  }),
  explainTemplate({
    key: "ml-imbalance",
    category: "data_ml",
    variants: [
      {
        asks: [
          "How do I handle a dataset where only 2% of examples are positive?",
          "What should I do about class imbalance in a binary classifier?",
        ],
        explain: {
          short:
            "First change how you measure success — accuracy is meaningless at 2% positives, so use PR-AUC, recall at a fixed precision, or F1. Then try class weights or resampling, and tune the decision threshold on validation data instead of using 0.5.",
          intro:
            'With 2% positives, a model that always predicts "negative" is 98% accurate and completely useless, so the first job is picking a metric that reflects what you care about.',
          sections: [
            {
              title: "Metrics",
              body: 'Use precision–recall curves and PR-AUC rather than ROC-AUC, which can look flattering on imbalanced data. If the business has a constraint like "at most 5% false alarms", report recall at that operating point.',
            },
            {
              title: "Training",
              body: 'Set `class_weight="balanced"` (or the equivalent loss weighting) so errors on the rare class cost more. Oversampling the minority class or undersampling the majority also works; SMOTE sometimes helps on tabular data but rarely beats simple weighting.',
            },
            {
              title: "Threshold",
              body: "The default 0.5 threshold is almost never right for rare events. Pick the threshold on the validation set that meets your precision or recall target, and re-check it when the base rate changes.",
            },
          ],
          errors: [["rather than ROC-AUC, which can look flattering", "and ignore PR curves, which are misleading"]],
        },
      },
    ],
  }),
  explainTemplate({
    key: "ml-lr-batch",
    category: "data_ml",
    variants: [
      {
        asks: [
          "If I double my batch size, should I change the learning rate?",
          "How do batch size and learning rate interact when training a transformer?",
        ],
        explain: {
          short:
            "Usually yes: a larger batch gives a less noisy gradient, so you can take bigger steps. For SGD a common heuristic is to scale the learning rate linearly with batch size; for Adam, square-root scaling is a safer starting point, and either way re-tune warmup.",
          intro:
            "Batch size and learning rate are coupled because both control how much noise is in each update and how far each update moves the weights.",
          sections: [
            {
              title: "Heuristics",
              body: "The linear scaling rule (double the batch, double the LR) works well for SGD up to a point. Adaptive optimisers like Adam are more sensitive, so people often scale by √2 instead and run a short sweep.",
            },
            {
              title: "Warmup",
              body: "Large learning rates early in training can blow up, especially for transformers. A linear warmup over the first few hundred or thousand steps lets you use the larger peak LR safely.",
            },
            {
              title: "Diminishing returns",
              body: 'Beyond a "critical batch size" larger batches stop reducing the number of steps needed, so you pay more compute per step for no speed-up. That point grows as the loss gets lower, which is why large runs often increase the batch size over time.',
            },
          ],
          errors: [["scale the learning rate linearly with batch size", "halve the learning rate when you double the batch size"]],
        },
      },
    ],
  }),
  explainTemplate({
    key: "ml-attention",
    category: "data_ml",
    variants: [
      {
        asks: ["Explain self-attention in transformers without too much math.", "What does the attention mechanism actually compute?"],
        explain: {
          short:
            "Each token builds a query, key and value vector; it compares its query with every token's key to get attention weights (a softmax over scaled dot products), then takes the weighted average of the values. This lets every position pull in information from whichever other positions are relevant.",
          intro:
            "Self-attention is how a transformer lets each word look at the rest of the sequence and decide what matters for its own representation.",
          sections: [
            {
              title: "Queries, keys and values",
              body: "Every token's embedding is multiplied by three learned matrices. The query says what the token is looking for, the key says what it offers, and the value is the information it passes on if selected.",
            },
            {
              title: "Weights",
              body: 'Scores are the dot products of one query with all keys, divided by √d to keep them in a stable range, then passed through a softmax so they sum to one. In "The animal didn\'t cross the street because it was tired", the token "it" typically puts a high weight on "animal".',
            },
            {
              title: "Multiple heads",
              body: "Transformers run several attention heads in parallel, each with its own matrices, so different heads can track different relationships — syntax, coreference, position — before their outputs are concatenated.",
            },
          ],
          errors: [["divided by √d", "multiplied by d"]],
        },
      },
    ],
  }),
  explainTemplate({
    key: "ml-pandas-groupby",
    category: "data_ml",
    styles: ["short", "long", "markdown"],
    variants: [
      {
        asks: [
          "In pandas, how do I get the average order value per customer, but only for customers with at least 3 orders?",
          "pandas: mean of `amount` per `customer_id`, filtered to customers with 3+ orders?",
        ],
        explain: {
          short:
            'Group, aggregate both the count and the mean, then filter:\n\n```python\nstats = df.groupby("customer_id")["amount"].agg(["count", "mean"])\nresult = stats.loc[stats["count"] >= 3, "mean"]\n```',
          terse: '```python\ndf.groupby("customer_id").filter(lambda g: len(g) >= 3).groupby("customer_id")["amount"].mean()\n```',
          intro: "The cleanest approach is to compute the order count and the mean in one `groupby`, then filter on the count.",
          sections: [
            {
              title: "Aggregate then filter",
              body: "`agg` with a list returns one column per function, which keeps everything vectorised and fast even on millions of rows.",
              code: {
                lang: "python",
                src: `stats = (
    df.groupby("customer_id")["amount"]
      .agg(orders="count", avg_order_value="mean")
)
result = stats[stats["orders"] >= 3].sort_values("avg_order_value", ascending=False)`,
              },
            },
            {
              title: "Alternative with filter",
              body: "`GroupBy.filter` drops whole groups that fail a condition. It reads nicely but calls a Python function per group, so it's slower on large frames.",
              code: {
                lang: "python",
                src: `frequent = df.groupby("customer_id").filter(lambda g: len(g) >= 3)
result = frequent.groupby("customer_id")["amount"].mean()`,
              },
            },
          ],
          outro: "Note that `count` ignores NaN amounts; use `size` if you want to count rows regardless.",
          errors: [
            ['stats["orders"] >= 3', 'stats["orders"] > 3'],
            ['stats.loc[stats["count"] >= 3, "mean"]', 'stats.loc[stats["mean"] >= 3, "count"]'],
          ],
        },
      },
    ],
  }),
  explainTemplate({
    key: "ml-cross-validation",
    category: "data_ml",
    variants: [
      {
        asks: [
          "What is k-fold cross-validation and when should I use it?",
          "Why use cross-validation instead of a single train/test split?",
        ],
        explain: {
          short:
            "k-fold cross-validation splits the data into k parts, trains on k−1 and evaluates on the remaining one, rotating until each part has been the validation set once. It gives a more reliable estimate than a single split, which matters most when the dataset is small.",
          intro:
            "A single train/validation split gives one noisy estimate of performance that depends on which rows happened to land where. Cross-validation averages over several splits.",
          sections: [
            {
              title: "How it works",
              body: "With k = 5, you train five models, each on 80% of the data, and score each on the held-out 20%. Report the mean and the standard deviation across folds — the spread tells you how much to trust the number.",
            },
            {
              title: "Variants",
              body: "Use stratified k-fold for classification so each fold keeps the class balance, group k-fold when rows from the same user must stay together, and time-series splits (train on the past, validate on the future) for temporal data.",
            },
            {
              title: "When to skip it",
              body: "For large datasets or expensive deep-learning runs, a single well-constructed validation set is usually enough, and k times the compute isn't worth it.",
            },
          ],
          errors: [["each on 80% of the data", "each on 20% of the data"]],
        },
      },
    ],
  }),
];
