"""Run inside a network namespace with no network: import labs, attack a scikit-learn model.

Exits 0 and prints a summary when TextAttack worked fully offline.
"""
import labs  # noqa: F401  -- first: makes TextAttack and friends work offline

import textattack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from textattack.attack_recipes import AttackRecipe  # noqa: F401  -- the recipe machinery imports too
from textattack.constraints.pre_transformation import RepeatModification, StopwordModification
from textattack.goal_functions import UntargetedClassification
from textattack.search_methods import GreedyWordSwapWIR
from textattack.shared import AttackedText
from textattack.transformations import CompositeTransformation, WordSwapNeighboringCharacterSwap, \
    WordSwapRandomCharacterDeletion

from textattack.models.wrappers import ModelWrapper


class ProbabilityWrapper(ModelWrapper):
    """TextAttack's own SklearnModelWrapper calls get_feature_names(), gone from scikit-learn.

    Kept here, not in `labs`: wrapping the model is an exercise of the text-attacks lab.
    """

    def __init__(self, model):
        self.model = model

    def __call__(self, text_input_list):
        return self.model.predict_proba(list(text_input_list))


phishing = ["verify your password now", "urgent account suspended click link",
            "confirm your bank password", "your invoice payment failed click here"] * 5
benign = ["lunch meeting moved to noon", "see the attached design notes",
          "team offsite agenda for friday", "thanks for the code review"] * 5
model = make_pipeline(TfidfVectorizer(analyzer="word"), LogisticRegression())
model.fit(phishing + benign, [1] * len(phishing) + [0] * len(benign))

attack = textattack.Attack(
    UntargetedClassification(ProbabilityWrapper(model)),
    [RepeatModification(), StopwordModification()],
    CompositeTransformation([WordSwapNeighboringCharacterSwap(random_one=False),
                             WordSwapRandomCharacterDeletion(random_one=False)]),
    GreedyWordSwapWIR(wir_method="delete"),
)
result = attack.attack("verify your password now", 1)
perturbed = result.perturbed_result.attacked_text.text
print(type(result).__name__, "->", perturbed)
assert isinstance(result.original_result.attacked_text, AttackedText)
assert type(result).__name__ in {"SuccessfulAttackResult", "FailedAttackResult"}
