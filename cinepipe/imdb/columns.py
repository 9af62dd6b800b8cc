"""Column names and fixed values of the IMDB branch, defined once."""

REVIEW_ID = "review_id"
SPLIT = "split"  # train or test: the dataset's official split
LABEL = "label"  # 1 positive, 0 negative
RATING = "rating"  # stars 1-10 from the file name; NULL for the Keras form
TEXT = "text"
SOURCE = "source"  # aclImdb or keras-imdb
MEMBER = "member"  # where the review was read: archive member, file or array position
COPIES = "copies"  # how many of the split's reviews have this text and label (1 unless duplicates were dropped)

REVIEW_COLUMNS = [REVIEW_ID, SPLIT, LABEL, RATING, TEXT, SOURCE, MEMBER]
LOADED_COLUMNS = [*REVIEW_COLUMNS, COPIES]
SPLITS = ("train", "test")
ACL_IMDB = "aclImdb"
KERAS_IMDB = "keras-imdb"
TABLE = "imdb_reviews"
