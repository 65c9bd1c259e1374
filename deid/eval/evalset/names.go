package evalset

// Name and place pools. Lists are written here by origin, each roughly in
// order of frequency (earlier entries are drawn more often, Zipf-like), so
// that common and rare names both occur. They deliberately do not come from
// one dictionary: besides these hand-made lists, rare surnames and given
// names are composed from syllables (see names in gen.go), so the set also
// measures names no dictionary holds. Several names are English words
// (Hope, Rose, Will, Baker, Young, Stone) or clinical-looking (Hart, Payne,
// Bone, Lung), and some carry accents, apostrophes or hyphens.

type origin struct {
	weight         int
	female, male   []string
	surnames       []string
	accentedFemale []string // optional extra spellings drawn now and then
}

var origins = []origin{
	{ // English-speaking, incl. names that are English words
		weight: 40,
		female: []string{"Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
			"Nancy", "Lisa", "Betty", "Margaret", "Sandra", "Ashley", "Dorothy", "Kimberly", "Emily", "Donna", "Michelle",
			"Carol", "Amanda", "Melissa", "Deborah", "Stephanie", "Rebecca", "Laura", "Helen", "Sharon", "Cynthia",
			"Kathleen", "Amy", "Shirley", "Angela", "Anna", "Ruth", "Brenda", "Pamela", "Nicole", "Katherine", "Virginia",
			"Catherine", "Christine", "Samantha", "Debra", "Janet", "Rachel", "Carolyn", "Emma", "Maria", "Heather",
			"Diane", "Julie", "Joyce", "Evelyn", "Frances", "Joan", "Christina", "Kelly", "Victoria", "Lauren", "Martha",
			"Judith", "Cheryl", "Megan", "Andrea", "Ann", "Alice", "Jean", "Doris", "Jacqueline", "Kathryn", "Hannah",
			"Olivia", "Gloria", "Marie", "Teresa", "Sara", "Janice", "Julia", "Grace", "Judy", "Theresa", "Rose", "Beverly",
			"Denise", "Marilyn", "Amber", "Madison", "Danielle", "Brittany", "Diana", "Abigail", "Jane", "Natalie",
			"Lori", "Tiffany", "Alexis", "Kayla", "Hope", "Faith", "Joy", "June", "April", "May", "Summer", "Dawn",
			"Holly", "Ivy", "Iris", "Pearl", "Ruby", "Hazel", "Violet", "Daisy", "Autumn", "Crystal", "Destiny", "Harmony",
			"Bonnie", "Peggy", "Trudy", "Mabel", "Edna", "Ethel", "Gladys", "Agnes", "Bernice", "Muriel", "Winifred"},
		male: []string{"James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas", "Charles",
			"Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul", "Andrew", "Joshua",
			"Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward", "Jason", "Jeffrey", "Ryan", "Jacob",
			"Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott", "Brandon", "Benjamin",
			"Samuel", "Gregory", "Frank", "Alexander", "Raymond", "Patrick", "Jack", "Dennis", "Jerry", "Tyler",
			"Aaron", "Henry", "Adam", "Douglas", "Nathan", "Peter", "Zachary", "Kyle", "Walter", "Harold", "Jeremy",
			"Ethan", "Carl", "Keith", "Roger", "Gerald", "Christian", "Terry", "Sean", "Arthur", "Austin", "Noah",
			"Lawrence", "Jesse", "Joe", "Bryan", "Billy", "Jordan", "Albert", "Dylan", "Bruce", "Willie", "Gabriel",
			"Alan", "Juan", "Logan", "Wayne", "Ralph", "Roy", "Eugene", "Randy", "Vincent", "Russell", "Louis", "Philip",
			"Bobby", "Johnny", "Bradley", "Bob", "Bill", "Will", "Guy", "Art", "Frank", "Rich", "Chip", "Buck", "Chase",
			"Hunter", "Miles", "Grant", "Cliff", "Dale", "Glen", "Lance", "Wade", "Earl", "Chester", "Clarence", "Elmer",
			"Homer", "Virgil", "Otis", "Rufus", "Cecil", "Ike", "Ned", "Abe"},
		surnames: []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
			"Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis",
			"Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green", "Adams", "Baker",
			"Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans", "Edwards",
			"Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Cooper", "Peterson", "Bailey", "Reed",
			"Kelly", "Howard", "Cox", "Ward", "Richardson", "Watson", "Brooks", "Wood", "James", "Bennett", "Gray",
			"Hughes", "Price", "Sanders", "Myers", "Long", "Ross", "Foster", "Powell", "Jenkins", "Perry", "Russell",
			"Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes", "Fisher", "Graham", "Wallace", "West",
			"Cole", "Hayes", "Bryant", "Gibson", "Ellis", "Stevens", "Murray", "Ford", "Marshall", "Owens", "McDonald",
			"Harrison", "Kennedy", "Wells", "Tucker", "Porter", "Hunter", "Hicks", "Crawford", "Henry", "Boyd", "Mason",
			"Warren", "Dixon", "Burns", "Gordon", "Shaw", "Holmes", "Rice", "Hunt", "Black", "Daniels", "Palmer",
			"Mills", "Grant", "Knight", "Ferguson", "Stone", "Hawkins", "Dunn", "Wagner", "Snyder", "Hart", "Payne",
			"Bone", "Lung", "Hand", "Story", "Love", "Best", "Swift", "Strong", "Small", "Little", "Moody", "Church",
			"Bishop", "Fox", "Wolf", "Bird", "Rivers", "Banks", "Day", "Cross", "Sharp", "Mann", "Cash", "Bush",
			"O'Brien", "O'Connor", "O'Neill", "McCarthy", "Fitzgerald", "Gallagher", "Byrne", "Doyle", "Quinn",
			"MacLeod", "McKenzie", "Lindqvist", "Pembroke", "Whitlock", "Ashworth", "Blackwood", "Thistlewaite"},
	},
	{ // Hispanic
		weight: 18,
		female: []string{"Maria", "María", "Guadalupe", "Juana", "Margarita", "Rosa", "Ana", "Carmen", "Josefina",
			"Sofía", "Lucía", "Isabel", "Elena", "Gabriela", "Ximena", "Valentina", "Daniela", "Mariana", "Alejandra",
			"Yesenia", "Marisol", "Luz", "Paloma", "Inés", "Dolores", "Consuelo", "Araceli", "Beatriz", "Itzel", "Nayeli"},
		male: []string{"José", "Jose", "Juan", "Luis", "Carlos", "Jesús", "Miguel", "Jorge", "Francisco", "Pedro",
			"Alejandro", "Manuel", "Ricardo", "Fernando", "Javier", "Raúl", "Ramón", "Andrés", "Héctor", "Joaquín",
			"Santiago", "Mateo", "Diego", "Emilio", "Rubén", "Octavio", "Efraín", "Ignacio", "Ángel", "Tomás"},
		surnames: []string{"Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Perez", "Sanchez",
			"Ramirez", "Torres", "Flores", "Rivera", "Gomez", "Diaz", "Cruz", "Morales", "Reyes", "Gutierrez", "Ortiz",
			"Chavez", "Ramos", "Ruiz", "Mendoza", "Vargas", "Castillo", "Jimenez", "Moreno", "Romero", "Herrera",
			"Medina", "Aguilar", "Vasquez", "Castro", "Fernández", "Núñez", "Peña", "Muñoz", "Ibáñez", "Cortés",
			"Jiménez", "Domínguez", "Suárez", "Gálvez", "Ordóñez", "Villaseñor", "Quiñones", "Zúñiga", "Arellano",
			"Campos", "Salazar", "Delgado", "Cervantes", "Espinoza", "Santana", "de la Cruz", "de León", "Del Valle"},
	},
	{ // African American given names and common surnames
		weight: 8,
		female: []string{"Keisha", "Latoya", "Tamika", "Ebony", "Aaliyah", "Imani", "Shanice", "Tanisha", "Jasmine",
			"Precious", "Lakeisha", "Shaniqua", "Ayanna", "Nia", "Deja", "Kiara", "Tierra", "Essence", "Mahalia", "Odessa"},
		male: []string{"DeShawn", "Darnell", "Tyrone", "Jamal", "Terrell", "Marquis", "Andre", "Reginald", "Cedric",
			"Dwayne", "Jermaine", "Malik", "Tavon", "Demetrius", "Lamar", "Rashad", "Quincy", "Roosevelt", "Booker", "Alonzo"},
		surnames: []string{"Washington", "Jefferson", "Booker", "Banks", "Mosley", "Jackson", "Freeman", "Gaines",
			"Holloway", "Battle", "Singleton", "Toussaint", "Dorsey", "Pettaway", "Caldwell", "Wigfall", "Ealy",
			"Mayweather", "Truesdale", "Person"},
	},
	{ // East and Southeast Asian
		weight: 9,
		female: []string{"Mei", "Li", "Xiu", "Yan", "Hui", "Ying", "Thi", "Lan", "Linh", "Thu", "Ji-woo", "Seo-yeon",
			"Min-ji", "Yuki", "Haruka", "Sakura", "Aiko", "Mai", "Ngoc", "Hoa", "Maricel", "Rowena", "Jocelyn"},
		male: []string{"Wei", "Jian", "Hao", "Jun", "Ming", "Tuan", "Minh", "Duc", "Quang", "Min-jun", "Seo-jun",
			"Ji-hoon", "Hiroshi", "Takeshi", "Kenji", "Sung", "Bao", "Long", "Rodel", "Jericho", "Arnel"},
		surnames: []string{"Nguyen", "Tran", "Le", "Pham", "Huynh", "Vo", "Wang", "Li", "Zhang", "Liu", "Chen",
			"Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Lin", "Kim", "Park", "Choi", "Jung", "Kang", "Yoon",
			"Tanaka", "Suzuki", "Takahashi", "Watanabe", "Yamamoto", "Nakamura", "Ng", "Wong", "Chan", "Lam",
			"Santos", "Reyes", "Bautista", "Dela Cruz", "Mendoza", "Villanueva", "Ong", "Tan", "Lim", "Xiong", "Vang"},
	},
	{ // South Asian
		weight: 6,
		female: []string{"Priya", "Anjali", "Sunita", "Lakshmi", "Deepa", "Kavya", "Aisha", "Fatima", "Neha", "Pooja",
			"Shreya", "Meera", "Ananya", "Divya", "Harpreet", "Gurpreet", "Nasreen", "Sana"},
		male: []string{"Raj", "Rahul", "Amit", "Sanjay", "Vikram", "Arjun", "Rohan", "Suresh", "Ravi", "Imran",
			"Mohammed", "Harjit", "Gurdeep", "Anil", "Venkat", "Srinivas", "Kiran", "Farhan"},
		surnames: []string{"Patel", "Shah", "Singh", "Kumar", "Sharma", "Gupta", "Reddy", "Rao", "Iyer", "Nair",
			"Mehta", "Desai", "Joshi", "Chaudhry", "Khan", "Hussain", "Bhattacharya", "Venkataraman", "Subramanian",
			"Gill", "Sandhu", "Dhillon", "Chatterjee", "Banerjee", "Krishnamurthy", "Siddiqui"},
	},
	{ // Arabic, Persian, Turkish
		weight: 4,
		female: []string{"Fatima", "Layla", "Mariam", "Noor", "Yasmin", "Zahra", "Amira", "Huda", "Leila", "Shirin", "Ayşe", "Elif"},
		male: []string{"Mohammed", "Ahmed", "Ali", "Omar", "Youssef", "Hassan", "Khalid", "Tariq", "Karim", "Reza",
			"Dariush", "Mehmet", "Emre", "Mustafa"},
		surnames: []string{"Al-Sayed", "Haddad", "Khoury", "Mansour", "Nasser", "Saleh", "Hamdan", "Abdullah",
			"El-Amin", "Farouk", "Tehrani", "Hosseini", "Rahimi", "Yılmaz", "Şahin", "Öztürk", "Demir", "Abu-Ghazaleh"},
	},
	{ // European (Slavic, German, Italian, French, Nordic, Greek, Jewish)
		weight: 10,
		female: []string{"Olga", "Natasha", "Katarzyna", "Agnieszka", "Svetlana", "Irina", "Greta", "Ingrid", "Sigrid",
			"Francesca", "Giulia", "Chiara", "Renée", "Hélène", "Céline", "Zoë", "Chloé", "Anaïs", "Małgorzata",
			"Dagmar", "Björg", "Eleni", "Dimitra", "Miriam", "Esther", "Rivka", "Chana"},
		male: []string{"Dmitri", "Sergei", "Ivan", "Piotr", "Tomasz", "Łukasz", "Jürgen", "Klaus", "Hans", "Giuseppe",
			"Salvatore", "Marco", "François", "Jérôme", "René", "Søren", "Lars", "Björn", "Nikos", "Yannis", "Konstantinos",
			"Moshe", "Yitzhak", "Shlomo", "Mordechai", "Stanisław"},
		surnames: []string{"Kowalski", "Nowak", "Wiśniewski", "Wójcik", "Lewandowski", "Ivanov", "Petrov", "Smirnov",
			"Volkov", "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Schröder", "Rossi", "Russo",
			"Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "DiMaggio", "D'Angelo", "LaRocca", "Dubois",
			"Lefèvre", "Moreau", "Girard", "Bérubé", "Thériault", "Gagnon", "Lindström", "Johansson", "Andersen",
			"Nielsen", "Søndergaard", "Papadopoulos", "Georgiou", "Katz", "Cohen", "Levy", "Goldberg", "Rosenbaum",
			"Friedman", "Horowitz", "van der Berg", "De Vries", "Van Buren", "Novák", "Dvořák", "Horváth", "Nagy"},
	},
	{ // West and East African, Caribbean
		weight: 4,
		female: []string{"Chiamaka", "Ngozi", "Adaeze", "Folasade", "Abena", "Akosua", "Amina", "Wanjiru", "Nadège", "Fabienne"},
		male:   []string{"Chinedu", "Oluwaseun", "Emeka", "Kwame", "Kofi", "Yaw", "Abdi", "Tesfaye", "Jean-Baptiste", "Wilner"},
		surnames: []string{"Okafor", "Adeyemi", "Okonkwo", "Mensah", "Asante", "Boateng", "Mohamed", "Abdi", "Haile",
			"Tesfaye", "Kamau", "Odhiambo", "Pierre-Louis", "Jean-Baptiste", "Desrosiers", "Eze", "Nwosu", "Diallo"},
	},
}

// syllables for composed rare names
var (
	sylStart = []string{"Al", "Bar", "Cal", "Dor", "El", "Fen", "Gar", "Hal", "Is", "Jor", "Kel", "Lor", "Mar",
		"Nor", "Or", "Pel", "Quin", "Ros", "Sal", "Tor", "Ul", "Val", "Wen", "Yar", "Zel", "Bre", "Cro", "Dra",
		"Fra", "Gle", "Kra", "Pra", "Stra", "Thra", "Vla", "Zbi", "Mc", "Mac", "O'", "Van ", "Ter"}
	sylMid = []string{"a", "e", "i", "o", "u", "an", "en", "in", "on", "ar", "er", "ol", "il", "ev", "ov", "az", "ith", ""}
	sylEnd = []string{"son", "sen", "ski", "sky", "wicz", "berg", "stein", "ton", "ley", "field", "worth", "more",
		"ino", "elli", "ez", "es", "ova", "enko", "ian", "yan", "oglu", "ani", "ucci", "mann", "dottir", "quist", "hoff", "eau", "ard"}
	sylGivenEnd = []string{"a", "ia", "ine", "elle", "on", "en", "ian", "ius", "o", "ey", "ie", "is", "an", "yn", "ette", "ah"}
)

// towns are US cities and towns of all sizes from many states.
var towns = []string{"Springfield", "Framingham", "Worcester", "Brockton", "Quincy", "Lowell", "Lynn", "Revere",
	"Chelsea", "Everett", "Somerville", "Medford", "Malden", "Waltham", "Newton", "Brookline", "Dedham", "Natick",
	"Marlborough", "Fitchburg", "Leominster", "Pittsfield", "Holyoke", "Chicopee", "Taunton", "Attleboro",
	"New Bedford", "Fall River", "Barnstable", "Plymouth", "Nantucket", "Providence", "Pawtucket", "Woonsocket",
	"Hartford", "New Haven", "Bridgeport", "Stamford", "Waterbury", "Norwalk", "Danbury", "Manchester", "Nashua",
	"Concord", "Portsmouth", "Burlington", "Rutland", "Bangor", "Lewiston", "Augusta", "Albany", "Schenectady",
	"Troy", "Utica", "Syracuse", "Rochester", "Buffalo", "Ithaca", "Binghamton", "Poughkeepsie", "Yonkers",
	"White Plains", "Hempstead", "Levittown", "Newark", "Paterson", "Camden", "Trenton", "Hoboken", "Edison",
	"Philadelphia", "Pittsburgh", "Allentown", "Scranton", "Wilkes-Barre", "Erie", "Altoona", "Harrisburg",
	"Lancaster", "York", "Baltimore", "Towson", "Frederick", "Hagerstown", "Wilmington", "Dover", "Richmond",
	"Norfolk", "Roanoke", "Lynchburg", "Charlottesville", "Wheeling", "Morgantown", "Charleston", "Raleigh",
	"Durham", "Greensboro", "Asheville", "Fayetteville", "Columbia", "Greenville", "Spartanburg", "Atlanta",
	"Macon", "Savannah", "Augusta", "Valdosta", "Jacksonville", "Tallahassee", "Gainesville", "Ocala", "Tampa",
	"St. Petersburg", "Clearwater", "Sarasota", "Fort Myers", "Naples", "Miami", "Hialeah", "Boca Raton",
	"Port St. Lucie", "Kissimmee", "Birmingham", "Huntsville", "Mobile", "Tuscaloosa", "Montgomery", "Jackson",
	"Biloxi", "Tupelo", "Memphis", "Nashville", "Knoxville", "Chattanooga", "Murfreesboro", "Louisville",
	"Lexington", "Bowling Green", "Paducah", "Cincinnati", "Dayton", "Columbus", "Akron", "Toledo", "Youngstown",
	"Cleveland", "Parma", "Lorain", "Detroit", "Flint", "Lansing", "Kalamazoo", "Grand Rapids", "Ypsilanti",
	"Saginaw", "Indianapolis", "Gary", "Muncie", "Terre Haute", "Bloomington", "Evansville", "Chicago", "Joliet",
	"Aurora", "Naperville", "Peoria", "Decatur", "Champaign", "Urbana", "Rockford", "Waukegan", "Milwaukee",
	"Madison", "Green Bay", "Kenosha", "Oshkosh", "Eau Claire", "Minneapolis", "St. Paul", "Duluth", "Bemidji",
	"Mankato", "Des Moines", "Cedar Rapids", "Dubuque", "Sioux City", "Davenport", "Omaha", "Lincoln", "Kearney",
	"Fargo", "Bismarck", "Minot", "Sioux Falls", "Rapid City", "Wichita", "Topeka", "Lawrence", "Salina",
	"Kansas City", "St. Louis", "Joplin", "Independence", "Little Rock", "Texarkana", "Shreveport", "Baton Rouge",
	"Lafayette", "Metairie", "Houma", "Houston", "Dallas", "Austin", "San Antonio", "El Paso", "Lubbock",
	"Amarillo", "Laredo", "Brownsville", "McAllen", "Waco", "Tyler", "Beaumont", "Corpus Christi", "Odessa",
	"Midland", "Abilene", "Tulsa", "Norman", "Lawton", "Albuquerque", "Santa Fe", "Las Cruces", "Gallup",
	"Phoenix", "Tucson", "Mesa", "Flagstaff", "Yuma", "Las Vegas", "Henderson", "Reno", "Elko", "Denver",
	"Boulder", "Pueblo", "Greeley", "Grand Junction", "Salt Lake City", "Provo", "Ogden", "Boise", "Nampa",
	"Pocatello", "Billings", "Missoula", "Bozeman", "Casper", "Cheyenne", "Laramie", "Seattle", "Spokane",
	"Tacoma", "Yakima", "Bellingham", "Olympia", "Portland", "Eugene", "Salem", "Medford", "Bend", "Sacramento",
	"Fresno", "Bakersfield", "Modesto", "Stockton", "Oakland", "San Jose", "Santa Rosa", "Eureka", "Redding",
	"Chico", "Salinas", "Oxnard", "Pasadena", "Glendale", "Torrance", "Long Beach", "Anaheim", "Riverside",
	"San Bernardino", "Escondido", "Chula Vista", "Anchorage", "Fairbanks", "Juneau", "Honolulu", "Hilo",
	"Kailua", "Truth or Consequences", "Hope", "Liberty", "Independence", "Eden", "Paradise", "Bath", "Marion"}

var (
	townPrefixes = []string{"North ", "South ", "East ", "West ", "New ", "Port ", "Lake ", "Mount ", "Fort "}
	townSuffixes = []string{"ville", "ton", "burg", "field", " Falls", " Springs", " Heights", " Junction", "port", " Center", "wood"}
)

var states = []string{"MA", "NY", "CA", "TX", "FL", "IL", "OH", "PA", "GA", "NC", "MI", "WA", "AZ", "CO", "TN",
	"Massachusetts", "New York", "California", "Texas", "Florida", "Ohio", "Georgia", "Oregon", "Maine", "Iowa"}

var streetNames = []string{"Main", "Oak", "Maple", "Elm", "Cedar", "Pine", "Washington", "Lake", "Hill", "Park",
	"Church", "High", "School", "Mill", "Union", "Center", "Chestnut", "Walnut", "Spring", "River", "Highland",
	"Prospect", "Pleasant", "Summer", "Winter", "Franklin", "Lincoln", "Jefferson", "Madison", "Adams", "Martin Luther King",
	"Cesar Chavez", "Bay View", "Sunset", "Magnolia", "Dogwood", "Hawthorne", "Orchard", "Meadowbrook", "Old Post",
	"Quarry", "Commonwealth", "Beacon", "Tremont", "Peachtree", "Rue de la Paix", "El Camino Real", "Calle Ocho"}

var streetSuffixes = []string{"St", "St.", "Street", "Ave", "Ave.", "Avenue", "Rd", "Road", "Blvd", "Boulevard", "Ln",
	"Lane", "Dr", "Drive", "Ct", "Court", "Way", "Pl", "Place", "Terrace", "Circle", "Pkwy", "Hwy"}

var hospitalPatterns = []string{"{saint} Hospital", "{town} General Hospital", "{town} Medical Center",
	"{town} Regional Medical Center", "{surname} Memorial Hospital", "{town} Community Hospital",
	"Mercy Hospital", "Good Samaritan Hospital", "Sacred Heart Medical Center", "Mount Sinai",
	"{town} VA Medical Center", "{town} Rehabilitation Hospital", "{town} Nursing and Rehab",
	"{surname} House", "Sunrise Assisted Living", "{town} Manor", "Children's Hospital of {town}",
	"University Hospital", "{surname} Cancer Institute", "{town} Kidney Center", "{abbr}", "{abbr}", "{town} Dialysis",
	"St. Elsewhere", "{saint} Medical Center", "Brigham", "Faulkner", "Spaulding"}

var saints = []string{"St. Mary's", "St. Joseph's", "St. Luke's", "St. Vincent's", "St. Francis", "St. Anne's",
	"St Elizabeth's", "Saint Agnes", "Saint Jude", "St. Peter's", "St. Catherine's", "Our Lady of Lourdes"}
